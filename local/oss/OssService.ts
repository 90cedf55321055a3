// Service layer: what each OSS operation means. Methods take typed input, authorize through RAM
// (identity policies + the bucket policy + the ACLs, via shared/policy), use the store and return values or
// throw OssError. Nothing here knows about HTTP, signatures or XML.
//
// Condition keys come from the real request (ref/ram-policy.md §2.3, §2.4): acs:SourceIp (the socket's address),
// acs:SecureTransport ('false': the emulator serves plain HTTP), acs:CurrentTime, acs:UserAgent, acs:AccessId,
// acs:PrincipalARN (missing for anonymous callers), oss:BucketTag/<k> on every request, oss:ExistingObjectTag/<k>
// on reads and the object tagging APIs, oss:RequestObjectTag/<k>, oss:x-oss-acl and oss:x-oss-object-acl on the
// writes that carry them, oss:Prefix/oss:Delimiter on lists. acs:SourceVpc is always missing, since a local request
// never comes from a VPC: `StringEquals` on it is false and `StringNotLike` true (ref §7 C3, C13).
// Not emulated: Block Public Access (ref §3.6), so a public ACL or a public bucket-policy statement always counts.
import { createHash, randomBytes } from 'node:crypto';
import { parsePolicy, type AuthorizationResult, type BucketAcl, type ConditionContext, type ObjectAcl, type OssAcls, type ParsedPolicy } from '../../shared/policy';
import { isBucketAcl, isObjectAcl } from '../../shared/policy/acl';
import type { Caller, Ram } from '../ram';
import { ossErrors } from './errors';
import { objectCreatedRecord, type ObjectCreatedEventName, type OssEventRecord } from './events';
import { compareKeys, NULL_VERSION, type BucketRecord, type ObjectBytes, type ObjectRecord, type OssStore, type StagedBody, type Tags, type Versioning } from './store';
import { tagContext, validateBucketTags, validateObjectTags, type TagList } from './tags';

/** Who is calling, and the request facts condition keys read. */
export interface CallContext {
  caller: Caller;
  accessKeyId?: string;
  sourceIp: string;
  userAgent?: string;
  requestId: string;
}

export interface ObjectFields {
  contentType?: string;
  userMeta: Record<string, string>;
  /** cache-control, content-disposition, content-encoding, content-language, expires. */
  headers: Record<string, string>;
}

export interface PutObjectInput extends ObjectFields {
  /**
   * The request body, not yet read: it is read only once the caller is authorized, and streamed to the store.
   * It enforces its own size limit (throwing OssError EntityTooLarge).
   */
  body: AsyncIterable<Uint8Array>;
  /** Base64 MD5 of the body, as sent in Content-MD5. */
  contentMd5?: string;
  forbidOverwrite: boolean;
  /** `x-oss-object-acl` as sent; absent means `default`. */
  acl?: string;
  /** From `x-oss-tagging`. */
  tags?: TagList;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export interface GetObjectInput {
  /** `?versionId=`: read that version (oss:GetObjectVersion) instead of the current one. */
  versionId?: string;
  range?: string;
  /** `x-oss-range-behavior: standard`: an unsatisfiable range is a 416 instead of being ignored. */
  standardRange: boolean;
  conditions: Preconditions;
}

/** `body` is open: the caller streams it (ObjectBytes.stream) or closes it. */
export type GetObjectResult =
  | { kind: 'notModified'; record: ObjectRecord }
  | { kind: 'full'; record: ObjectRecord; body: ObjectBytes }
  | { kind: 'partial'; record: ObjectRecord; body: ObjectBytes; start: number; end: number };

export interface CopyObjectInput extends ObjectFields {
  source: { bucket: string; key: string };
  directive: 'COPY' | 'REPLACE';
  forbidOverwrite: boolean;
  sourceConditions: Preconditions;
  /** `x-oss-object-acl` for the copy as sent; absent means `default` (the source's ACL is not copied). */
  acl?: string;
  /** `x-oss-tagging-directive`: COPY (default) keeps the source's tags, REPLACE takes `tags`. */
  taggingDirective: 'COPY' | 'REPLACE';
  /** From `x-oss-tagging`, used with REPLACE. */
  tags?: TagList;
}

/** What GetBucketAcl and GetObjectAcl answer. */
export interface AclResult {
  acl: BucketAcl | ObjectAcl;
  ownerUid: string;
}

export interface ListInput {
  prefix?: string;
  delimiter?: string;
  maxKeys: number;
}

export interface ListPage {
  bucket: BucketRecord;
  contents: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Last key or common prefix of the page, set when truncated. */
  next?: string;
}

/** What DeleteObject answers: `x-oss-delete-marker` and `x-oss-version-id` on a versioned bucket. */
export interface DeleteOutcome {
  versionId?: string;
  deleteMarker: boolean;
}

export interface VersionListInput {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys: number;
}

export interface VersionPage {
  bucket: BucketRecord;
  versions: { record: ObjectRecord; isLatest: boolean }[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface OssServiceOptions {
  ram: Ram;
  store: OssStore;
  region: string;
  now: () => number;
  onObjectCreated?: (record: OssEventRecord) => void;
}

/** Bucket policies are limited to 16 KB, EC 0030-00000001 (reference/ram-policy.md §1.4). */
export const MAX_POLICY_BYTES = 16 * 1024;
export const POLICY_TOO_LARGE_EC = '0030-00000001';

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

interface LoadedBucket {
  record: BucketRecord;
  policy: ParsedPolicy | null;
}

export class OssService {
  private readonly policies = new Map<string, { text: string; parsed: ParsedPolicy }>();
  /** Serialises read-modify-write of one bucket record (policy, ACL, tags), so concurrent changes never undo each other. */
  private readonly bucketLocks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: OssServiceOptions) {}

  // ---- admin (seeding; bypasses authorization) -------------------------------------------------

  /** Creates a bucket; creating an existing bucket for the same owner is a no-op, so seeding survives restarts. */
  async createBucket(name: string, ownerUid: string): Promise<BucketRecord> {
    if (!BUCKET_NAME.test(name)) throw new Error(`invalid bucket name \`${name}\`: 3-63 characters of [a-z0-9-], starting and ending with a letter or digit`);
    if (!this.options.ram.hasAccount(ownerUid)) throw new Error(`no account \`${ownerUid}\` in RAM`);
    const existing = await this.options.store.getBucket(name);
    if (existing) {
      if (existing.ownerUid !== ownerUid) throw new Error(`bucket \`${name}\` already exists and belongs to account \`${existing.ownerUid}\``);
      return existing;
    }
    const record: BucketRecord = { name, ownerUid, region: this.options.region, createdAt: new Date(this.options.now()).toISOString(), policy: null, acl: 'private' };
    await this.options.store.putBucket(record);
    return record;
  }

  /** Sets (or with null removes) a bucket policy, validating it exactly as PutBucketPolicy does. */
  async setBucketPolicy(name: string, policy: unknown): Promise<void> {
    await this.loadBucket(name);
    if (policy === null) {
      await this.updateBucket(name, (record) => ({ ...record, policy: null }));
      return;
    }
    const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
    try {
      this.validatePolicy(text);
    } catch (error) {
      throw new Error(`bucket policy for \`${name}\` rejected: ${(error as Error).message}`);
    }
    await this.updateBucket(name, (record) => ({ ...record, policy: text }));
  }

  /** Sets a bucket's ACL, as PutBucketAcl does. */
  async setBucketAcl(name: string, acl: BucketAcl): Promise<void> {
    if (!isBucketAcl(acl)) throw new Error(`unknown bucket acl \`${String(acl)}\`: use private, public-read or public-read-write`);
    await this.loadBucket(name);
    await this.updateBucket(name, (record) => ({ ...record, acl }));
  }

  async getBucket(name: string): Promise<BucketRecord | undefined> {
    return this.options.store.getBucket(name);
  }

  /** Writes an object as its owner's seeding would: no authorization, no event. */
  async seedObject(bucketName: string, key: string, body: Buffer, contentType: string, acl: ObjectAcl = 'default'): Promise<void> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const etag = createHash('md5').update(body).digest('hex').toUpperCase();
    await this.options.store.putObject(bucket.record.name, this.newRecord(key, body.length, etag, { contentType, userMeta: {}, headers: {} }, objectAcl(acl), {}), body);
  }

  // ---- objects -----------------------------------------------------------------------------------

  async putObject(ctx: CallContext, bucketName: string, key: string, input: PutObjectInput): Promise<ObjectRecord> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const previous = await this.options.store.headObject(bucketName, key);
    // Without the header the key reads `default`, what OSS stores (ref §7 C12): a Deny on StringNotEquals
    // [private, default] must not refuse a plain upload.
    this.authorize(ctx, 'oss:PutObject', bucket, key, { 'oss:x-oss-object-acl': input.acl ?? 'default', ...tagContext('oss:RequestObjectTag/', input.tags) }, previous);
    const acl = objectAcl(input.acl);
    const tags = validateObjectTags(input.tags ?? []);
    const sent = input.contentMd5 === undefined ? undefined : Buffer.from(input.contentMd5, 'base64');
    if (sent !== undefined && sent.length !== 16) throw ossErrors.invalidDigest('The Content-MD5 you specified is not a base64-encoded 128-bit MD5.');
    // Only now is the body read: an unauthorized or malformed request costs no bytes of memory or disk.
    const staged = await this.options.store.stage(bucketName, input.body);
    try {
      if (sent !== undefined && !sent.equals(staged.md5)) throw ossErrors.invalidDigest('The Content-MD5 you specified did not match what we received.');
      const record = this.newRecord(key, staged.size, staged.md5.toString('hex').toUpperCase(), input, acl, tags);
      return await this.write(ctx, bucket, record, staged, input.forbidOverwrite, 'ObjectCreated:PutObject');
    } finally {
      // After a commit the staged file is gone and this does nothing; otherwise it drops the upload.
      await this.options.store.discard(bucketName, staged);
    }
  }

  async getObject(ctx: CallContext, bucketName: string, key: string, input: GetObjectInput): Promise<GetObjectResult> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const { record, body } = await this.readVersion(ctx, bucket, key, input.versionId);
    try {
      if (checkPreconditions(record, input.conditions) === 'notModified') {
        await body.close();
        return { kind: 'notModified', record };
      }
      const range = input.range === undefined ? undefined : resolveRange(input.range, body.size, input.standardRange);
      if (!range) return { kind: 'full', record, body };
      return { kind: 'partial', record, body, start: range.start, end: range.end };
    } catch (error) {
      await body.close();
      throw error;
    }
  }

  /** HeadObject is governed by oss:GetObject (reference/ram-policy.md §2.4), or oss:GetObjectVersion with a version id. */
  async headObject(ctx: CallContext, bucketName: string, key: string, conditions: Preconditions, versionId?: string): Promise<{ record: ObjectRecord; notModified: boolean }> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const { record } = await this.readVersion(ctx, bucket, key, versionId, false);
    return { record, notModified: checkPreconditions(record, conditions) === 'notModified' };
  }

  /**
   * Deleting a missing key succeeds, as in OSS. On a versioned bucket a delete without version id adds a delete
   * marker, and one with a version id (oss:DeleteObjectVersion) removes that version for good (OSS DeleteObject,
   * "Versioning"; ali-oss test/node/multiversion.test.js `delete()`).
   */
  async deleteObject(ctx: CallContext, bucketName: string, key: string, versionId?: string): Promise<DeleteOutcome> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    if (versionId !== undefined) {
      const version = await this.options.store.headVersion(bucketName, key, versionId);
      this.authorize(ctx, 'oss:DeleteObjectVersion', bucket, key, {}, version);
      const removed = await this.options.store.deleteVersion(bucketName, key, versionId);
      return { versionId, deleteMarker: removed?.deleteMarker === true };
    }
    this.authorize(ctx, 'oss:DeleteObject', bucket, key, {}, await this.options.store.headObject(bucketName, key));
    return this.removeCurrent(bucket.record, key);
  }

  /**
   * DeleteMultipleObjects is governed by oss:DeleteObject per key. Every key is authorized before any is
   * deleted, so a denied key fails the whole request with 403 and deletes nothing (real OSS's per-key
   * behaviour is UNVERIFIED). Returns the keys deleted, missing ones included, as OSS does.
   */
  async deleteObjects(ctx: CallContext, bucketName: string, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0 || keys.length > 1000) throw ossErrors.malformedXml(`a delete request names 1 to 1000 objects, this one names ${keys.length}`);
    keys.forEach(validateKey);
    const bucket = await this.loadBucket(bucketName);
    for (const key of keys) this.authorize(ctx, 'oss:DeleteObject', bucket, key, {}, await this.options.store.headObject(bucketName, key));
    for (const key of keys) await this.removeCurrent(bucket.record, key);
    return [...keys];
  }

  /**
   * CopyObject needs oss:GetObject on the source and oss:PutObject on the target (reference/ram-policy.md §2.4).
   * A source that fails `x-oss-copy-source-if-none-match` / `-if-modified-since` gives 'notModified' (ali-oss accepts 304).
   */
  async copyObject(ctx: CallContext, bucketName: string, key: string, input: CopyObjectInput): Promise<ObjectRecord | 'notModified'> {
    validateKey(key);
    validateKey(input.source.key);
    const target = await this.loadBucket(bucketName);
    const source = input.source.bucket === bucketName ? target : await this.loadBucket(input.source.bucket);
    const sourceRecord = await this.options.store.headObject(source.record.name, input.source.key);
    this.authorize(ctx, 'oss:GetObject', source, input.source.key, tagContext('oss:ExistingObjectTag/', sourceRecord?.tags), sourceRecord);
    const requestTags = input.taggingDirective === 'REPLACE' ? input.tags : undefined;
    const extra = { 'oss:x-oss-object-acl': input.acl ?? 'default', ...tagContext('oss:RequestObjectTag/', requestTags) };
    this.authorize(ctx, 'oss:PutObject', target, key, extra, await this.options.store.headObject(bucketName, key));
    const acl = objectAcl(input.acl);
    const replacedTags = requestTags === undefined ? undefined : validateObjectTags(requestTags);
    const found = await this.options.store.getObject(source.record.name, input.source.key);
    if (!found) throw ossErrors.noSuchKey(input.source.key);
    let preconditions: 'ok' | 'notModified';
    try {
      preconditions = checkPreconditions(found.record, input.sourceConditions, 'x-oss-copy-source-');
    } catch (error) {
      await found.body.close();
      throw error;
    }
    if (preconditions === 'notModified') {
      await found.body.close();
      return 'notModified';
    }
    // Streamed from the source file into the target's staging file: a copy holds no object in memory either.
    const staged = await this.options.store.stage(bucketName, found.body.stream());
    try {
      const fields: ObjectFields =
        input.directive === 'REPLACE' ? input : { contentType: found.record.contentType, userMeta: found.record.userMeta, headers: found.record.headers };
      const tags = input.taggingDirective === 'REPLACE' ? (replacedTags ?? {}) : (found.record.tags ?? {});
      const record = this.newRecord(key, staged.size, found.record.etag, fields, acl, tags);
      return await this.write(ctx, target, record, staged, input.forbidOverwrite, 'ObjectCreated:CopyObject');
    } finally {
      await this.options.store.discard(bucketName, staged);
    }
  }

  // ---- listing -----------------------------------------------------------------------------------

  async listObjects(ctx: CallContext, bucketName: string, input: ListInput & { marker?: string }): Promise<ListPage> {
    const bucket = await this.authorizeList(ctx, bucketName, input);
    return this.page(bucket.record, input, input.marker ?? '');
  }

  /** `continuationToken` is opaque to clients; here it is the base64url of the last key or prefix returned. */
  async listObjectsV2(ctx: CallContext, bucketName: string, input: ListInput & { startAfter?: string; continuationToken?: string }): Promise<ListPage> {
    let after = input.startAfter ?? '';
    if (input.continuationToken !== undefined) {
      const decoded = Buffer.from(input.continuationToken, 'base64url').toString('utf8');
      if (!decoded || continuationToken(decoded) !== input.continuationToken) {
        throw ossErrors.invalidArgument('The continuation token provided is incorrect.', 'continuation-token', input.continuationToken);
      }
      after = decoded;
    }
    const bucket = await this.authorizeList(ctx, bucketName, input);
    return this.page(bucket.record, input, after);
  }

  // ---- bucket policy -----------------------------------------------------------------------------

  async putBucketPolicy(ctx: CallContext, bucketName: string, text: string): Promise<void> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:PutBucketPolicy', bucket);
    this.validatePolicy(text);
    await this.updateBucket(bucketName, (record) => ({ ...record, policy: text }));
  }

  async getBucketPolicy(ctx: CallContext, bucketName: string): Promise<string> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:GetBucketPolicy', bucket);
    if (bucket.record.policy === null) throw ossErrors.noSuchBucketPolicy(bucketName);
    return bucket.record.policy;
  }

  async deleteBucketPolicy(ctx: CallContext, bucketName: string): Promise<void> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:DeleteBucketPolicy', bucket);
    await this.updateBucket(bucketName, (record) => ({ ...record, policy: null }));
  }

  // ---- bucket versioning -------------------------------------------------------------------------

  /** PutBucketVersioning: Enabled or Suspended; a bucket never goes back to unversioned. */
  async putBucketVersioning(ctx: CallContext, bucketName: string, status: string): Promise<void> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:PutBucketVersioning', bucket);
    if (status !== 'Enabled' && status !== 'Suspended') throw ossErrors.malformedXml(`<Status> must be Enabled or Suspended, not \`${status}\``);
    await this.updateBucket(bucketName, (record) => ({ ...record, versioning: status }));
  }

  /** Undefined for a bucket that was never versioned: OSS then leaves `<Status>` out (GetBucketVersioning). */
  async getBucketVersioning(ctx: CallContext, bucketName: string): Promise<Versioning | undefined> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:GetBucketVersioning', bucket);
    return bucket.record.versioning;
  }

  /** ListObjectVersions (GetBucketVersions), governed by oss:ListObjectVersions. */
  async listObjectVersions(ctx: CallContext, bucketName: string, input: VersionListInput): Promise<VersionPage> {
    const bucket = await this.loadBucket(bucketName);
    const extra: ConditionContext = { 'oss:Prefix': input.prefix ?? '' };
    if (input.delimiter !== undefined) extra['oss:Delimiter'] = input.delimiter;
    this.authorize(ctx, 'oss:ListObjectVersions', bucket, undefined, extra);
    return pageVersions(bucket.record, await this.options.store.listVersions(bucketName), input);
  }

  // ---- bucket ACL and tags ------------------------------------------------------------------------

  /** Without `x-oss-acl` the request changes nothing, as the PutBucketAcl doc says. */
  async putBucketAcl(ctx: CallContext, bucketName: string, acl: string | undefined): Promise<void> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:PutBucketAcl', bucket, undefined, { 'oss:x-oss-acl': acl });
    if (acl === undefined) return;
    if (!isBucketAcl(acl)) throw ossErrors.invalidBucketAcl(acl);
    await this.updateBucket(bucketName, (record) => ({ ...record, acl }));
  }

  async getBucketAcl(ctx: CallContext, bucketName: string): Promise<AclResult> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:GetBucketAcl', bucket);
    return { acl: bucket.record.acl ?? 'private', ownerUid: bucket.record.ownerUid };
  }

  /** PutBucketTags replaces every tag of the bucket. */
  async putBucketTags(ctx: CallContext, bucketName: string, tags: TagList): Promise<void> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:PutBucketTagging', bucket);
    const valid = validateBucketTags(tags);
    await this.updateBucket(bucketName, (record) => ({ ...record, tags: valid }));
  }

  async getBucketTags(ctx: CallContext, bucketName: string): Promise<Tags> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:GetBucketTagging', bucket);
    return bucket.record.tags ?? {};
  }

  /** `?tagging=k1,k2` deletes only those keys; a bare `?tagging` deletes every tag. */
  async deleteBucketTags(ctx: CallContext, bucketName: string, keys?: readonly string[]): Promise<void> {
    const bucket = await this.loadBucket(bucketName);
    this.authorize(ctx, 'oss:DeleteBucketTagging', bucket);
    await this.updateBucket(bucketName, (record) => {
      const kept = keys === undefined ? [] : Object.entries(record.tags ?? {}).filter(([key]) => !keys.includes(key));
      return { ...record, tags: Object.fromEntries(kept) };
    });
  }

  // ---- object ACL and tags ------------------------------------------------------------------------

  async putObjectAcl(ctx: CallContext, bucketName: string, key: string, acl: string | undefined): Promise<void> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const current = await this.options.store.headObject(bucketName, key);
    this.authorize(ctx, 'oss:PutObjectAcl', bucket, key, { 'oss:x-oss-object-acl': acl }, current);
    if (!acl || !isObjectAcl(acl)) throw ossErrors.invalidObjectAcl(acl);
    if (!current || !(await this.options.store.updateObject(bucketName, key, (record) => ({ ...record, acl })))) throw ossErrors.noSuchKey(key);
  }

  async getObjectAcl(ctx: CallContext, bucketName: string, key: string): Promise<AclResult> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const current = await this.options.store.headObject(bucketName, key);
    this.authorize(ctx, 'oss:GetObjectAcl', bucket, key, {}, current);
    if (!current) throw ossErrors.noSuchKey(key);
    return { acl: current.acl ?? 'default', ownerUid: bucket.record.ownerUid };
  }

  /** PutObjectTagging replaces every tag of the object; its data, ETag and Last-Modified stay. */
  async putObjectTagging(ctx: CallContext, bucketName: string, key: string, tags: TagList): Promise<void> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const current = await this.options.store.headObject(bucketName, key);
    const extra = { ...tagContext('oss:ExistingObjectTag/', current?.tags), ...tagContext('oss:RequestObjectTag/', tags) };
    this.authorize(ctx, 'oss:PutObjectTagging', bucket, key, extra, current);
    const valid = validateObjectTags(tags);
    if (!current || !(await this.options.store.updateObject(bucketName, key, (record) => ({ ...record, tags: valid })))) throw ossErrors.noSuchKey(key);
  }

  async getObjectTagging(ctx: CallContext, bucketName: string, key: string): Promise<Tags> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const current = await this.options.store.headObject(bucketName, key);
    this.authorize(ctx, 'oss:GetObjectTagging', bucket, key, tagContext('oss:ExistingObjectTag/', current?.tags), current);
    if (!current) throw ossErrors.noSuchKey(key);
    return current.tags ?? {};
  }

  async deleteObjectTagging(ctx: CallContext, bucketName: string, key: string): Promise<void> {
    validateKey(key);
    const bucket = await this.loadBucket(bucketName);
    const current = await this.options.store.headObject(bucketName, key);
    this.authorize(ctx, 'oss:DeleteObjectTagging', bucket, key, tagContext('oss:ExistingObjectTag/', current?.tags), current);
    if (!current || !(await this.options.store.updateObject(bucketName, key, (record) => ({ ...record, tags: {} })))) throw ossErrors.noSuchKey(key);
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** A new object starts over: an overwrite keeps neither the old ACL nor the old tags. */
  private newRecord(key: string, size: number, etag: string, fields: ObjectFields, acl: ObjectAcl, tags: Tags): ObjectRecord {
    return {
      key,
      size,
      etag,
      lastModified: new Date(Math.floor(this.options.now() / 1000) * 1000).toISOString(),
      contentType: fields.contentType || 'application/octet-stream',
      userMeta: { ...fields.userMeta },
      headers: { ...fields.headers },
      acl,
      tags,
    };
  }

  private updateBucket(name: string, change: (record: BucketRecord) => BucketRecord): Promise<void> {
    const previous = this.bucketLocks.get(name) ?? Promise.resolve();
    const current = previous
      .catch(() => undefined)
      .then(async () => {
        const record = await this.options.store.getBucket(name);
        if (!record) throw ossErrors.noSuchBucket(name);
        await this.options.store.putBucket(change(record));
      });
    this.bucketLocks.set(name, current);
    return current.finally(() => {
      if (this.bucketLocks.get(name) === current) this.bucketLocks.delete(name);
    });
  }

  private async write(
    ctx: CallContext,
    bucket: LoadedBucket,
    written: ObjectRecord,
    body: Buffer | StagedBody,
    forbidOverwrite: boolean,
    eventName: ObjectCreatedEventName,
  ): Promise<ObjectRecord> {
    let record = written;
    // x-oss-forbid-overwrite has no effect once the bucket's versioning is Enabled or Suspended: the write makes a
    // new version (OSS PutObject API reference, "x-oss-forbid-overwrite"; reference/deploy.md §3).
    const versioning = bucket.record.versioning;
    const versioned = versioning === undefined ? record : { ...record, versionId: versioning === 'Enabled' ? newVersionId() : NULL_VERSION };
    const result = await this.options.store.putObject(bucket.record.name, versioned, body, { ifAbsent: forbidOverwrite && versioning === undefined, versioned: versioning !== undefined });
    if (!result.written) throw ossErrors.fileAlreadyExists();
    record = versioned;
    const listener = this.options.onObjectCreated;
    if (listener) {
      const event = objectCreatedRecord({
        eventName,
        bucket: bucket.record,
        region: this.options.region,
        object: record,
        previousSize: result.previous?.size,
        caller: ctx.caller,
        sourceIp: ctx.sourceIp,
        requestId: ctx.requestId,
        time: this.options.now(),
      });
      // Handed over before the response: once OSS has acknowledged a write, its event must survive a crash of the
      // emulator (the cloud's event pipeline is durable; no source says an acknowledged write can lose its
      // notification). The listener only accepts it (FC's durable queue); delivery runs asynchronously, as OSS
      // notifies after the write. A listener failure never fails the write.
      try {
        listener(event);
      } catch (error) {
        console.error(`oss emulator: onObjectCreated listener failed: ${String((error as Error)?.message ?? error)}`);
      }
    }
    return record;
  }

  /**
   * The version a GET or HEAD reads: the current one (oss:GetObject), or with `versionId` that one
   * (oss:GetObjectVersion, as OSS's RAM action list says). A current delete marker reads as 404 NoSuchKey and a
   * named delete marker as 405 MethodNotAllowed (ali-oss test/node/multiversion.test.js `get()`); both carry
   * `x-oss-delete-marker: true`.
   */
  private async readVersion(ctx: CallContext, bucket: LoadedBucket, key: string, versionId: string | undefined): Promise<{ record: ObjectRecord; body: ObjectBytes }>;
  private async readVersion(ctx: CallContext, bucket: LoadedBucket, key: string, versionId: string | undefined, withBody: false): Promise<{ record: ObjectRecord }>;
  private async readVersion(ctx: CallContext, bucket: LoadedBucket, key: string, versionId: string | undefined, withBody = true): Promise<{ record: ObjectRecord; body?: ObjectBytes }> {
    const name = bucket.record.name;
    const version = await this.options.store.headVersion(name, key, versionId);
    const live = version?.deleteMarker ? undefined : version;
    this.authorize(ctx, versionId === undefined ? 'oss:GetObject' : 'oss:GetObjectVersion', bucket, key, tagContext('oss:ExistingObjectTag/', live?.tags), live);
    if (!version) throw versionId === undefined ? ossErrors.noSuchKey(key) : ossErrors.noSuchVersion(key, versionId);
    if (version.deleteMarker) {
      const headers = { 'x-oss-delete-marker': 'true', 'x-oss-version-id': version.versionId ?? NULL_VERSION };
      throw versionId === undefined ? ossErrors.noSuchKey(key, headers) : ossErrors.deleteMarkerVersion(headers);
    }
    if (!withBody) return { record: version };
    const found = versionId === undefined ? await this.options.store.getObject(name, key) : await this.options.store.getVersion(name, key, versionId);
    if (!found || found.record.deleteMarker) {
      await found?.body.close();
      throw ossErrors.noSuchKey(key);
    }
    return found;
  }

  /** DeleteObject without a version id: gone on an unversioned bucket, hidden behind a delete marker on a versioned one. */
  private async removeCurrent(bucket: BucketRecord, key: string): Promise<DeleteOutcome> {
    if (bucket.versioning === undefined) {
      await this.options.store.deleteObject(bucket.name, key);
      return { deleteMarker: false };
    }
    // Suspended: the marker takes version id `null`, replacing the `null` version (OSS "Versioning" overview).
    const versionId = bucket.versioning === 'Enabled' ? newVersionId() : NULL_VERSION;
    const marker: ObjectRecord = {
      key,
      size: 0,
      etag: '',
      lastModified: new Date(Math.floor(this.options.now() / 1000) * 1000).toISOString(),
      contentType: '',
      userMeta: {},
      headers: {},
      versionId,
      deleteMarker: true,
    };
    await this.options.store.putObject(bucket.name, marker, Buffer.alloc(0), { versioned: true });
    return { versionId, deleteMarker: true };
  }

  private async authorizeList(ctx: CallContext, bucketName: string, input: ListInput): Promise<LoadedBucket> {
    const bucket = await this.loadBucket(bucketName);
    // A list without prefix is seen as prefix "" (reference/ram-policy.md §2.2, OSS scenario 5).
    const extra: ConditionContext = { 'oss:Prefix': input.prefix ?? '' };
    if (input.delimiter !== undefined) extra['oss:Delimiter'] = input.delimiter;
    this.authorize(ctx, 'oss:ListObjects', bucket, undefined, extra);
    return bucket;
  }

  private async page(bucket: BucketRecord, input: ListInput, after: string): Promise<ListPage> {
    const all = await this.options.store.listObjects(bucket.name);
    const prefix = input.prefix ?? '';
    const delimiter = input.delimiter || undefined;
    const contents: ObjectRecord[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    let isTruncated = false;
    for (const object of all) {
      if (!object.key.startsWith(prefix) || (after !== '' && compareKeys(object.key, after) <= 0)) continue;
      let common: string | undefined;
      if (delimiter) {
        const at = object.key.indexOf(delimiter, prefix.length);
        if (at >= 0) common = object.key.slice(0, at + delimiter.length);
      }
      // A common prefix at or before the marker was returned on an earlier page.
      if (common !== undefined && (common === last || (after !== '' && compareKeys(common, after) <= 0))) continue;
      if (contents.length + commonPrefixes.length >= input.maxKeys) {
        isTruncated = true;
        break;
      }
      if (common !== undefined) commonPrefixes.push(common);
      else contents.push(object);
      last = common ?? object.key;
    }
    return { bucket, contents, commonPrefixes, isTruncated, next: isTruncated ? last : undefined };
  }

  private async loadBucket(name: string): Promise<LoadedBucket> {
    const record = await this.options.store.getBucket(name);
    if (!record) throw ossErrors.noSuchBucket(name);
    return { record, policy: record.policy === null ? null : this.parsedPolicy(name, record.policy) };
  }

  private parsedPolicy(bucket: string, text: string): ParsedPolicy | null {
    const cached = this.policies.get(bucket);
    if (cached?.text === text) return cached.parsed;
    let parsed: ParsedPolicy;
    try {
      parsed = this.validatePolicy(text);
    } catch (error) {
      // Stored policies were validated when put; one that no longer parses (engine changed) must not grant anything.
      throw ossErrors.internal(`the stored policy of bucket \`${bucket}\` no longer parses: ${(error as Error).message}`);
    }
    this.policies.set(bucket, { text, parsed });
    return parsed;
  }

  private validatePolicy(text: string): ParsedPolicy {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > MAX_POLICY_BYTES) throw ossErrors.invalidPolicy(`The bucket policy is ${size} bytes; the limit is ${MAX_POLICY_BYTES} bytes.`, POLICY_TOO_LARGE_EC);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw ossErrors.invalidPolicy(`The bucket policy is not valid JSON: ${(error as Error).message}.`);
    }
    const result = parsePolicy(doc, 'bucket');
    if (!result.ok) {
      const problems = result.problems.map((p) => `${p.path || '(document)'}: ${p.message} [${p.code}]`).join('; ');
      throw ossErrors.invalidPolicy(`The bucket policy is invalid: ${problems}.`);
    }
    return result.policy;
  }

  /**
   * `object` is the object's current record (undefined when it does not exist): its ACL is the one the ACL step reads.
   * Every call passes the bucket ACL; the engine consults ACLs only for data APIs that no policy allows.
   */
  private authorize(ctx: CallContext, action: string, bucket: LoadedBucket, key?: string, extra: ConditionContext = {}, object?: ObjectRecord): void {
    const resource = `acs:oss:*:${bucket.record.ownerUid}:${bucket.record.name}${key === undefined ? '' : `/${key}`}`;
    const context: ConditionContext = {
      'acs:SourceIp': ctx.sourceIp,
      'acs:SecureTransport': 'false',
      'acs:CurrentTime': new Date(this.options.now()).toISOString(),
      'acs:UserAgent': ctx.userAgent,
      'acs:AccessId': ctx.accessKeyId,
      'acs:PrincipalARN': ctx.caller.kind === 'anonymous' ? undefined : ctx.caller.arn,
      'acs:SourceVpc': undefined,
      ...tagContext('oss:BucketTag/', bucket.record.tags),
      ...extra,
    };
    const acl: OssAcls = { bucket: bucket.record.acl ?? 'private', ...(key !== undefined && object && { object: object.acl ?? 'default' }) };
    const result = this.options.ram.authorizeOss(ctx.caller, action, resource, context, bucket.policy, acl);
    if (result.decision !== 'Allow') {
      throw ossErrors.accessDenied(denialMessage(ctx.caller, action, resource, key !== undefined, bucket.policy !== null, result));
    }
  }
}

/**
 * OSS's own sentence first, then who was denied what and why, from the engine's explanation. Callers
 * downstream turn this into hints, so it names the principal, the action, the resource and the deciding step.
 */
export function denialMessage(caller: Caller, action: string, resource: string, objectLevel: boolean, hasBucketPolicy: boolean, result: AuthorizationResult): string {
  const target = objectLevel ? 'object' : 'bucket';
  const denyingPolicies = result.decision === 'ExplicitDeny' ? result.reasons.filter((r) => r.effect === 'Deny').map((r) => r.policy) : [];
  let because = '';
  if (denyingPolicies.includes('resource')) because = ' because of bucket policy';
  else if (denyingPolicies.length > 0) because = ' because of RAM policy';
  else if (hasBucketPolicy) because = ' because of bucket policy';
  const who = caller.kind === 'anonymous' ? 'anonymous caller (*)' : `principal ${caller.arn}`;
  const steps = [...result.explanation, ...result.errors.map((e) => `${e.path}: ${e.message}`)].filter(Boolean);
  const why = steps.length > 0 ? steps.join('; ') : result.decision;
  return `You have no right to access this ${target}${because}. ${who} was denied ${action} on ${resource}: ${why}`;
}

/** `x-oss-object-acl` of a write: absent is `default`; anything unknown is 400 InvalidArgument. */
function objectAcl(value: string | undefined): ObjectAcl {
  if (value === undefined) return 'default';
  if (!isObjectAcl(value)) throw ossErrors.invalidObjectAcl(value);
  return value;
}

function validateKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0) throw ossErrors.invalidObjectName('the object name can not be empty');
  if (bytes > 1023) throw ossErrors.invalidObjectName(`the object name is ${bytes} bytes, the limit is 1023`);
  if (key.startsWith('/') || key.startsWith('\\')) throw ossErrors.invalidObjectName('the object name can not start with `/` or `\\`');
}

/** ListObjectsV2 continuation tokens: the base64url of the last key or common prefix returned. */
export function continuationToken(after: string): string {
  return Buffer.from(after, 'utf8').toString('base64url');
}

const etagList = (header: string): string[] => header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/"/g, '').toUpperCase());

/** If-Match / If-Unmodified-Since failures throw 412; If-None-Match / If-Modified-Since hits return 'notModified'. */
function checkPreconditions(record: ObjectRecord, c: Preconditions, headerPrefix = ''): 'ok' | 'notModified' {
  const modified = Date.parse(record.lastModified);
  if (c.ifMatch !== undefined && !etagList(c.ifMatch).some((t) => t === '*' || t === record.etag)) throw ossErrors.preconditionFailed(`${headerPrefix}If-Match`);
  if (c.ifUnmodifiedSince !== undefined && !Number.isNaN(Date.parse(c.ifUnmodifiedSince)) && modified > Date.parse(c.ifUnmodifiedSince)) {
    throw ossErrors.preconditionFailed(`${headerPrefix}If-Unmodified-Since`);
  }
  if (c.ifNoneMatch !== undefined) return etagList(c.ifNoneMatch).some((t) => t === '*' || t === record.etag) ? 'notModified' : 'ok';
  if (c.ifModifiedSince !== undefined && !Number.isNaN(Date.parse(c.ifModifiedSince)) && modified <= Date.parse(c.ifModifiedSince)) return 'notModified';
  return 'ok';
}

/**
 * `Range: bytes=a-b | a- | -n`; only the first range of a list is used. OSS's default behaviour ignores an
 * invalid or out-of-bounds range and returns the whole object (200); with `x-oss-range-behavior: standard`
 * an end past the object is clamped and an unsatisfiable range is 416 (reference §3).
 */
export function resolveRange(header: string, size: number, standard: boolean): { start: number; end: number } | undefined {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$/i.exec(header);
  const invalid = (): undefined => {
    if (standard) throw ossErrors.invalidRange(size);
    return undefined;
  };
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // not a byte range: ignored in both modes
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return invalid();
    if (suffix > size) return standard ? { start: 0, end: size - 1 } : undefined;
    return { start: size - suffix, end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return invalid();
  if (m[2] === '') return { start, end: size - 1 };
  const end = Number(m[2]);
  if (end < start) return undefined; // a syntactically invalid range is ignored, as RFC 7233 says
  if (end >= size) return standard ? { start, end: size - 1 } : undefined;
  return { start, end };
}


/**
 * Version ids are opaque to clients. Real ones look like `CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0****`
 * (OSS GetObject sample); these are random and only need to be unique.
 */
function newVersionId(): string {
  return `CAEQ${randomBytes(30).toString('base64url')}`;
}

/**
 * One page of versions in key order, newest first within a key. The markers resume after (key-marker,
 * version-id-marker), or after every version of key-marker when no version id is given (as ListObjectVersions says).
 */
function pageVersions(bucket: BucketRecord, all: readonly { record: ObjectRecord; isLatest: boolean }[], input: VersionListInput): VersionPage {
  const prefix = input.prefix ?? '';
  const delimiter = input.delimiter || undefined;
  let start = 0;
  if (input.keyMarker) {
    const marker = input.keyMarker;
    const at = input.versionIdMarker ? all.findIndex((v) => v.record.key === marker && (v.record.versionId ?? NULL_VERSION) === input.versionIdMarker) : -1;
    start = at >= 0 ? at + 1 : all.findIndex((v) => compareKeys(v.record.key, marker) > 0);
    if (start < 0) start = all.length;
  }
  const versions: VersionPage['versions'] = [];
  const commonPrefixes: string[] = [];
  let isTruncated = false;
  let last: { record: ObjectRecord } | undefined;
  for (const entry of all.slice(start)) {
    const key = entry.record.key;
    if (!key.startsWith(prefix)) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = at >= 0 ? key.slice(0, at + delimiter!.length) : undefined;
    if (common !== undefined && commonPrefixes.includes(common)) continue;
    if (versions.length + commonPrefixes.length >= input.maxKeys) {
      isTruncated = true;
      break;
    }
    if (common !== undefined) commonPrefixes.push(common);
    else {
      versions.push(entry);
      last = entry;
    }
  }
  return {
    bucket,
    versions,
    commonPrefixes,
    isTruncated,
    nextKeyMarker: isTruncated ? last?.record.key : undefined,
    nextVersionIdMarker: isTruncated ? (last?.record.versionId ?? (last ? NULL_VERSION : undefined)) : undefined,
  };
}
