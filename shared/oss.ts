// OSS access with the function's own credentials (ali-oss), and the sidecar contract of DESIGN §3.2.
import type OSS from 'ali-oss';
import { cachedVersioning, type FetchVersioning, type VersioningStatus } from './bucketVersioning';
import { PENDING_DIR, type Config } from './config';
import type { Credentials } from './credentials';
import { AppError, UpstreamError } from './errors';
import { findKnownError, knownAppError } from './errorHints';
import { isTransient, sdkErrorInfo } from './sdkError';

export type SidecarStatus = 'succeeded' | 'submitted' | 'failed' | 'skipped';

export interface Sidecar {
  source: string;
  operation: string;
  status: SidecarStatus;
  score?: number;
  taskId?: string;
  taskType?: string;
  target?: string;
  reason?: string;
  /** Why a `skipped` sidecar was skipped, when it is a rule rather than the file type: `InvalidKey`. */
  reasonCode?: 'InvalidKey';
  error?: { code: string; message: string; hint?: string };
  requestId?: string;
  /** ETag of the source object this result is for. */
  eTag?: string;
  processedAt: string;
  /** When the task was submitted; set once on-task-done records its outcome in processedAt. */
  submittedAt?: string;
}

/** Marks that an attempt owns the work for one version (eTag) of an object. See shared/claims.ts. */
export interface Claim {
  eTag: string;
  state: 'running' | 'done' | 'released';
  requestId?: string;
  claimedAt: string;
  /** A running claim past this instant belongs to an attempt FC has already stopped. */
  expiresAt?: string;
}

/** Marks an accepted version (eTag) of an upload whose sidecar is not final yet. See shared/pending.ts. */
export interface PendingMarker {
  bucket: string;
  key: string;
  eTag: string;
  /** When the marker was (last) written. */
  since: string;
}

/** One page of a ListObjectsV2 listing: the keys, and the token of the next page if there is one. */
export interface ObjectPage {
  keys: string[];
  nextContinuationToken?: string;
}

export interface SidecarStore {
  write(bucket: string, sourceKey: string, sidecar: Sidecar): Promise<string>;
  read(bucket: string, sourceKey: string): Promise<Sidecar | undefined>;
  /** Writes the claim only if none exists (`x-oss-forbid-overwrite`); false when one already does. */
  createClaim(bucket: string, sourceKey: string, claim: Claim): Promise<boolean>;
  readClaim(bucket: string, sourceKey: string, eTag: string): Promise<Claim | undefined>;
  replaceClaim(bucket: string, sourceKey: string, claim: Claim): Promise<void>;
  /**
   * The bucket's versioning state (GetBucketVersioning), cached per container; claims are exclusive only on a
   * bucket that was never versioned (shared/bucketVersioning.ts). Stores that cannot be versioned (fakes) omit it.
   */
  versioning?: FetchVersioning;
  /** Writes (or rewrites: idempotent) the pending marker of one version of an upload. */
  putPending(marker: PendingMarker): Promise<void>;
  /** Deletes the pending marker of one version; deleting a missing marker is no error (OSS answers 204). */
  deletePending(bucket: string, sourceKey: string, eTag: string): Promise<void>;
  /** One ListObjectsV2 page of the keys under `prefix`, at most `maxKeys` (1–1000) of them. */
  listPage(bucket: string, prefix: string, page: { maxKeys: number; continuationToken?: string }): Promise<ObjectPage>;
  /** HeadObject: the object's current eTag (unquoted, upper case), or undefined when it does not exist. */
  head(bucket: string, key: string): Promise<{ eTag: string; size: number } | undefined>;
}

/**
 * `incoming/a/b.jpg` version `9F0…` → `results/incoming/a/b.jpg.9F0….claim`. One claim per object version,
 * so the first delivery of an overwrite wins atomically instead of racing to replace the old claim.
 */
export function claimKey(resultsPrefix: string, sourceKey: string, eTag: string): string {
  return `${resultsPrefix}${sourceKey}.${eTag || 'unversioned'}.claim`;
}

/** Where the pending markers of a deployment live: `results/_pending/`. */
export function pendingPrefix(resultsPrefix: string): string {
  return `${resultsPrefix}${PENDING_DIR}`;
}

/** `incoming/a/b.jpg` version `9F0…` → `results/_pending/incoming/a/b.jpg.9F0….json`. */
export function pendingKey(resultsPrefix: string, sourceKey: string, eTag: string): string {
  return `${pendingPrefix(resultsPrefix)}${sourceKey}.${eTag}.json`;
}

/**
 * The inverse of pendingKey, read from the key alone so that a listing needs no GET per marker. An eTag never holds
 * a `.` (hex digits, and `-<parts>` for multipart uploads), so it is what lies between the last two dots.
 */
export function parsePendingKey(resultsPrefix: string, key: string): { sourceKey: string; eTag: string } | undefined {
  const prefix = pendingPrefix(resultsPrefix);
  const match = key.startsWith(prefix) ? /^(.+)\.([A-Za-z0-9-]{1,80})\.json$/.exec(key.slice(prefix.length)) : null;
  return match ? { sourceKey: match[1], eTag: match[2] } : undefined;
}

/** ETags as OSS writes them in different places: quoted in headers and listings, bare in events. */
export function normalizeETag(eTag: string): string {
  return eTag.replace(/^W\//, '').replace(/"/g, '').toUpperCase();
}

/** `incoming/a/b.jpg` → `results/incoming/a/b.jpg.json`. */
export function sidecarKey(resultsPrefix: string, sourceKey: string): string {
  return `${resultsPrefix}${sourceKey}.json`;
}

type OssClientOptions = ConstructorParameters<typeof OSS>[0];

/** The part of the configuration an OSS client is built from. */
export type OssClientConfig = Pick<Config, 'region' | 'ossEndpoint' | 'ossInternal'>;

export function ossClientOptions(credentials: Credentials, config: OssClientConfig, bucket: string): OssClientOptions {
  const common = {
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    stsToken: credentials.securityToken,
    bucket,
    region: `oss-${config.region}`,
    // V1 signatures are being retired by OSS; V4 is what new buckets accept.
    authorizationV4: true,
    timeout: 10_000,
    // Credentials are never refreshed in place: renewed credentials get a new client (see sidecarStores).
    // Setting the interval (without a refresh function) only silences ali-oss's console warning.
    refreshSTSTokenInterval: 0x7fffffff,
  };
  // ali-oss builds `oss-<region>-internal.aliyuncs.com` from `internal` (lib/common/utils/setRegion.js).
  if (!config.ossEndpoint) return { ...common, secure: true, internal: config.ossInternal };
  // A local endpoint (the offline stack) takes path-style requests: http://localhost:PORT/<bucket>/<key>.
  return { ...common, endpoint: config.ossEndpoint, sldEnable: true } as OssClientOptions;
}

/**
 * Sidecar stores for a warm container, one per set of function credentials: renewed credentials get a new
 * client. The versioning cache is the container's, not the credentials': a bucket's state outlives them.
 * ali-oss itself is imported on the first OSS call, so the api loads it only when an MNS push arrives
 * (its build keeps ali-oss out of the bundle: scripts/build.mjs).
 */
export function sidecarStores(config: OssClientConfig & Pick<Config, 'resultsPrefix'>): (credentials: Credentials) => SidecarStore {
  let current: { keyId: string; store: SidecarStore; clientFor: OssClients } | undefined;
  const versioning = cachedVersioning(async (bucket) => {
    if (!current) throw new Error('no OSS client yet');
    return getBucketVersioning(await current.clientFor(bucket), bucket);
  });
  return (credentials) => {
    if (current?.keyId !== credentials.accessKeyId) {
      const clientFor = ossClients(credentials, config);
      current = { keyId: credentials.accessKeyId, clientFor, store: createSidecarStore(credentials, config, { clientFor, versioning }) };
    }
    return current.store;
  };
}

type OssClients = (bucket: string) => Promise<OSS>;

/** One ali-oss client per bucket, loaded on first use. */
function ossClients(credentials: Credentials, config: OssClientConfig): OssClients {
  const clients = new Map<string, Promise<OSS>>();
  return (bucket) => {
    let client = clients.get(bucket);
    if (!client) {
      client = import('ali-oss').then(({ default: Client }) => new Client(ossClientOptions(credentials, config, bucket)));
      clients.set(bucket, client);
    }
    return client;
  };
}

/** ali-oss has getBucketVersioning (lib/common/bucket/getBucketVersioning.js) but @types/ali-oss does not declare it. */
interface VersioningClient {
  getBucketVersioning(bucket: string): Promise<{ versionStatus?: string }>;
}

async function getBucketVersioning(client: OSS, bucket: string): Promise<VersioningStatus> {
  const { versionStatus } = await (client as unknown as VersioningClient).getBucketVersioning(bucket);
  // A bucket never versioned has no <Status> (OSS GetBucketVersioning); any other value is treated as versioned.
  if (versionStatus === undefined || versionStatus === '') return undefined;
  return versionStatus === 'Suspended' ? 'Suspended' : 'Enabled';
}

export function createSidecarStore(
  credentials: Credentials,
  config: OssClientConfig & Pick<Config, 'resultsPrefix'>,
  shared: { clientFor?: OssClients; versioning?: FetchVersioning } = {},
): SidecarStore {
  const clientFor = shared.clientFor ?? ossClients(credentials, config);
  const versioning = shared.versioning ?? cachedVersioning(async (bucket) => getBucketVersioning(await clientFor(bucket), bucket));
  const putJson = async (bucket: string, key: string, value: unknown, forbidOverwrite = false): Promise<boolean> => {
    try {
      const client = await clientFor(bucket);
      const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(forbidOverwrite ? { 'x-oss-forbid-overwrite': 'true' } : {}) };
      await client.put(key, Buffer.from(JSON.stringify(value, null, 2)), { mime: 'application/json', headers });
      return true;
    } catch (error) {
      if (forbidOverwrite && sdkErrorInfo(error).code === 'FileAlreadyExists') return false;
      throw ossError(error, 'PutObject', bucket, key);
    }
  };
  const getJson = async <T>(bucket: string, key: string): Promise<T | undefined> => {
    try {
      const client = await clientFor(bucket);
      const result = await client.get(key);
      return JSON.parse((result.content as Buffer).toString('utf8')) as T;
    } catch (error) {
      if (sdkErrorInfo(error).code === 'NoSuchKey') return undefined;
      if (error instanceof SyntaxError) return undefined;
      throw ossError(error, 'GetObject', bucket, key);
    }
  };
  return {
    async write(bucket, sourceKey, sidecar) {
      const key = sidecarKey(config.resultsPrefix, sourceKey);
      await putJson(bucket, key, sidecar);
      return key;
    },
    read: (bucket, sourceKey) => getJson<Sidecar>(bucket, sidecarKey(config.resultsPrefix, sourceKey)),
    createClaim: (bucket, sourceKey, claim) => putJson(bucket, claimKey(config.resultsPrefix, sourceKey, claim.eTag), claim, true),
    readClaim: (bucket, sourceKey, eTag) => getJson<Claim>(bucket, claimKey(config.resultsPrefix, sourceKey, eTag)),
    async replaceClaim(bucket, sourceKey, claim) {
      await putJson(bucket, claimKey(config.resultsPrefix, sourceKey, claim.eTag), claim);
    },
    versioning,
    async putPending(marker) {
      await putJson(marker.bucket, pendingKey(config.resultsPrefix, marker.key, marker.eTag), marker);
    },
    async deletePending(bucket, sourceKey, eTag) {
      const key = pendingKey(config.resultsPrefix, sourceKey, eTag);
      try {
        await (await clientFor(bucket)).delete(key);
      } catch (error) {
        throw ossError(error, 'DeleteObject', bucket, key);
      }
    },
    async listPage(bucket, prefix, page) {
      try {
        const client = await clientFor(bucket);
        const query = { prefix, 'max-keys': String(page.maxKeys), ...(page.continuationToken ? { 'continuation-token': page.continuationToken } : {}) };
        const result = await client.listV2(query, {});
        return { keys: (result.objects ?? []).map((o) => o.name), nextContinuationToken: result.isTruncated ? result.nextContinuationToken || undefined : undefined };
      } catch (error) {
        throw ossError(error, 'ListObjectsV2', bucket, prefix);
      }
    },
    async head(bucket, key) {
      try {
        const result = await (await clientFor(bucket)).head(key);
        const headers = result.res.headers as Record<string, string | undefined>;
        return { eTag: normalizeETag(headers.etag ?? ''), size: Number(headers['content-length'] ?? 0) };
      } catch (error) {
        if (sdkErrorInfo(error).code === 'NoSuchKey') return undefined;
        throw ossError(error, 'HeadObject', bucket, key);
      }
    },
  };
}

const RAM_ACTION: Record<string, string> = { ListObjectsV2: 'ListObjects', HeadObject: 'GetObject' };

/** An OSS failure as our error: the documented code (shared/errorHints.ts) decides our code and hint. */
export function ossError(error: unknown, operation: string, bucket: string, key: string): AppError {
  const info = sdkErrorInfo(error);
  if (isTransient(info)) return new UpstreamError('OssUnavailable', `OSS ${operation} on \`${bucket}/${key}\` failed: ${info.code}`, 502, error);
  // The RAM action OSS authorizes the call as: ListObjectsV2 is oss:ListObjects, HeadObject is oss:GetObject.
  const context = { bucket, key, operation: RAM_ACTION[operation] ?? operation };
  // A 403 whose code the table does not know is still a refusal of this call, unless it says the signature did not
  // match: that is no missing grant, and a hint to grant PutObject would send the operator the wrong way.
  const fallback = info.statusCode !== 403 ? undefined : /signature/i.test(`${info.code} ${info.message}`) ? 'SignatureDoesNotMatch' : 'AccessDenied';
  const known = findKnownError('oss', info) ?? (fallback ? findKnownError('oss', { code: fallback, message: '' }) : undefined);
  if (known) {
    const verb = known.ours.status === 403 ? 'denied' : 'failed';
    return knownAppError(known, `OSS ${operation} on \`oss://${bucket}/${key}\` ${verb}: ${info.code}: ${info.message}`, context, error);
  }
  return new AppError('OssFailed', `OSS ${operation} on \`oss://${bucket}/${key}\` failed: ${info.code}: ${info.message}`, 502, { cause: error });
}

/** The deep health check's writes (shared/health.ts): one probe object put and deleted with the function's credentials. */
export interface ProbeStore {
  put(bucket: string, key: string, body: Buffer, contentType: string): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
}

export function createProbeStore(credentials: Credentials, config: OssClientConfig): ProbeStore {
  const clientFor = ossClients(credentials, config);
  return {
    async put(bucket, key, body, contentType) {
      try {
        await (await clientFor(bucket)).put(key, body, { mime: contentType });
      } catch (error) {
        throw ossError(error, 'PutObject', bucket, key);
      }
    },
    async delete(bucket, key) {
      try {
        await (await clientFor(bucket)).delete(key);
      } catch (error) {
        throw ossError(error, 'DeleteObject', bucket, key);
      }
    },
  };
}
