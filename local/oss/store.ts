// The state layer's contract: buckets and objects, nothing about HTTP, signatures or policies.
// FileStore.ts implements it on disk so that data survives a restart of the local stack.
import { Readable } from 'node:stream';
import type { BucketAcl, ObjectAcl } from '../../shared/policy';

export type { BucketAcl, ObjectAcl };

/**
 * PutBucketVersioning states. A bucket that never had versioning has none, and can never go back to that
 * (OSS PutBucketVersioning: "A bucket can be in one of the following versioning states: disabled, enabled, or
 * suspended"; only Enabled and Suspended can be set).
 */
export type Versioning = 'Enabled' | 'Suspended';

/** OSS reports versions written while versioning was never enabled, or while it was suspended, as version `null`. */
export const NULL_VERSION = 'null';

/** Tags in the order they were put. Built with Object.fromEntries, so a key such as `__proto__` stays an own key. */
export type Tags = Readonly<Record<string, string>>;

export interface BucketRecord {
  name: string;
  ownerUid: string;
  region: string;
  createdAt: string;
  /** The bucket policy exactly as it was put (JSON text), or null. */
  policy: string | null;
  /** Absent in records written before ACLs were emulated: `private`, the default of a new bucket. */
  acl?: BucketAcl;
  /** Bucket tags (PutBucketTags); absent means none. */
  tags?: Tags;
  /** Absent: versioning was never enabled (records written before versioning was emulated read so too). */
  versioning?: Versioning;
}

/** Everything OSS keeps about an object besides its bytes. */
export interface ObjectRecord {
  key: string;
  size: number;
  /** MD5 of the body, upper-case hex without quotes (the header form adds quotes). */
  etag: string;
  /** ISO-8601. */
  lastModified: string;
  contentType: string;
  /** `x-oss-meta-*` headers with the prefix stripped, names lower-cased. */
  userMeta: Record<string, string>;
  /** Standard headers OSS stores and returns: cache-control, content-disposition, content-encoding, content-language, expires. */
  headers: Record<string, string>;
  /** Absent in records written before ACLs were emulated: `default` (inherit the bucket ACL). */
  acl?: ObjectAcl;
  /** Object tags (x-oss-tagging, PutObjectTagging); absent means none. */
  tags?: Tags;
  /** Absent: written before the bucket was ever versioned, which OSS reports as version `null`. */
  versionId?: string;
  /** A delete marker: a version without bytes that hides the older ones (DeleteObject on a versioned bucket). */
  deleteMarker?: boolean;
}

export interface PutResult {
  /** False when `ifAbsent` was set and the key already existed (nothing was written). */
  written: boolean;
  /** The record that was replaced, if any. */
  previous?: ObjectRecord;
}

/**
 * An upload's bytes, already written to a temporary place by stage(), with what was computed on the way in.
 * putObject() commits it; discard() drops it. Either way it is used once.
 */
export interface StagedBody {
  readonly kind: 'staged';
  readonly size: number;
  /** MD5 of the bytes (16 bytes), for Content-MD5 and the ETag. */
  readonly md5: Buffer;
  /** The store's own name for the temporary bytes. */
  readonly token: string;
}

/** An object's bytes as read: opened, not loaded, so a GET of any size costs a stream buffer, not the object. */
export interface ObjectBytes {
  readonly size: number;
  /** Streams bytes `start`..`end` (inclusive; default all) and then releases them. Call at most once. */
  stream(range?: { start: number; end: number }): Readable;
  /** Releases the bytes without reading them (a 304, a refused range, a failed copy). */
  close(): Promise<void>;
}

/** Bytes already in memory (seeding, delete markers) as ObjectBytes. */
export function bufferBytes(body: Buffer): ObjectBytes {
  return {
    size: body.length,
    stream: (range) => Readable.from(range ? [body.subarray(range.start, range.end + 1)] : [body]),
    close: async () => undefined,
  };
}

/** Reads ObjectBytes into one Buffer: for seeding and tests, never on a request path. */
export async function readAllBytes(bytes: ObjectBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of bytes.stream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface OssStore {
  getBucket(name: string): Promise<BucketRecord | undefined>;
  putBucket(record: BucketRecord): Promise<void>;
  listBuckets(): Promise<BucketRecord[]>;

  /** The current version, unless it is a delete marker (then the object reads as missing). */
  headObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  getObject(bucket: string, key: string): Promise<{ record: ObjectRecord; body: ObjectBytes } | undefined>;
  /** One version (`null` finds a version without id), or without `versionId` the current one; delete markers included. */
  headVersion(bucket: string, key: string, versionId?: string): Promise<ObjectRecord | undefined>;
  getVersion(bucket: string, key: string, versionId: string): Promise<{ record: ObjectRecord; body: ObjectBytes } | undefined>;
  /**
   * Writes a body to a temporary place of the bucket as it arrives, hashing it on the way, and holds in memory no
   * more than a stream's buffer. A failing source (too large, connection lost) leaves nothing behind.
   */
  stage(bucket: string, source: AsyncIterable<Uint8Array>): Promise<StagedBody>;
  /** Drops a staged body that will not be committed; harmless after a commit. */
  discard(bucket: string, staged: StagedBody): Promise<void>;
  /**
   * Writes atomically; with `ifAbsent` the existence check and the write are one step. Without `versioned` the record
   * replaces the object. With it the record becomes the current version and the others are kept, except one with the
   * same version id (the one `null` version), which it replaces. A delete marker record is written without bytes.
   * A staged body is moved into place, not copied; when nothing is written (`ifAbsent`) it stays staged.
   */
  putObject(bucket: string, record: ObjectRecord, body: Buffer | StagedBody, options?: { ifAbsent?: boolean; versioned?: boolean }): Promise<PutResult>;
  /** Removes one version for good; the newest remaining one becomes current. Returns the removed record. */
  deleteVersion(bucket: string, key: string, versionId: string): Promise<ObjectRecord | undefined>;
  /**
   * Rewrites an object's metadata (tags, ACL) and keeps its bytes; `change` gets the current record. The read and the
   * write are one step per key. Returns the new record, or undefined when the key does not exist.
   */
  updateObject(bucket: string, key: string, change: (record: ObjectRecord) => ObjectRecord): Promise<ObjectRecord | undefined>;
  /** Returns whether the key existed. */
  deleteObject(bucket: string, key: string): Promise<boolean>;
  /** Every object of the bucket whose current version is not a delete marker, ordered by the UTF-8 bytes of the key (the order OSS lists in). */
  listObjects(bucket: string): Promise<readonly ObjectRecord[]>;
  /** Every version of every object, by key, newest first within a key, with whether it is the current one. */
  listVersions(bucket: string): Promise<readonly { record: ObjectRecord; isLatest: boolean }[]>;
}

export function sameVersion(record: ObjectRecord, versionId: string): boolean {
  return (record.versionId ?? NULL_VERSION) === versionId;
}

/** Orders keys by their UTF-8 bytes, as OSS does; JS string order differs for characters outside the BMP. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
