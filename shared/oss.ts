// OSS access with the function's own credentials (ali-oss), and the sidecar contract of DESIGN §3.2.
import type OSS from 'ali-oss';
import type { Config } from './config';
import type { Credentials } from './credentials';
import { AppError, UpstreamError } from './errors';
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

export interface SidecarStore {
  write(bucket: string, sourceKey: string, sidecar: Sidecar): Promise<string>;
  read(bucket: string, sourceKey: string): Promise<Sidecar | undefined>;
  /** Writes the claim only if none exists (`x-oss-forbid-overwrite`); false when one already does. */
  createClaim(bucket: string, sourceKey: string, claim: Claim): Promise<boolean>;
  readClaim(bucket: string, sourceKey: string, eTag: string): Promise<Claim | undefined>;
  replaceClaim(bucket: string, sourceKey: string, claim: Claim): Promise<void>;
}

/**
 * `incoming/a/b.jpg` version `9F0…` → `results/incoming/a/b.jpg.9F0….claim`. One claim per object version,
 * so the first delivery of an overwrite wins atomically instead of racing to replace the old claim.
 */
export function claimKey(resultsPrefix: string, sourceKey: string, eTag: string): string {
  return `${resultsPrefix}${sourceKey}.${eTag || 'unversioned'}.claim`;
}

/** `incoming/a/b.jpg` → `results/incoming/a/b.jpg.json`. */
export function sidecarKey(resultsPrefix: string, sourceKey: string): string {
  return `${resultsPrefix}${sourceKey}.json`;
}

type OssClientOptions = ConstructorParameters<typeof OSS>[0];

export function ossClientOptions(credentials: Credentials, config: Pick<Config, 'region' | 'ossEndpoint'>, bucket: string): OssClientOptions {
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
  if (!config.ossEndpoint) return { ...common, secure: true };
  // A local endpoint (the offline stack) takes path-style requests: http://localhost:PORT/<bucket>/<key>.
  return { ...common, endpoint: config.ossEndpoint, sldEnable: true } as OssClientOptions;
}

/**
 * Sidecar stores for a warm container, one per set of function credentials: renewed credentials get a new
 * client. ali-oss itself is imported on the first OSS call, so the api loads it only when an MNS push arrives
 * (its build keeps ali-oss out of the bundle: scripts/build.mjs).
 */
export function sidecarStores(config: Pick<Config, 'region' | 'ossEndpoint' | 'resultsPrefix'>): (credentials: Credentials) => SidecarStore {
  let current: { keyId: string; store: SidecarStore } | undefined;
  return (credentials) => {
    if (current?.keyId !== credentials.accessKeyId) current = { keyId: credentials.accessKeyId, store: createSidecarStore(credentials, config) };
    return current.store;
  };
}

export function createSidecarStore(credentials: Credentials, config: Pick<Config, 'region' | 'ossEndpoint' | 'resultsPrefix'>): SidecarStore {
  const clients = new Map<string, Promise<OSS>>();
  const clientFor = (bucket: string): Promise<OSS> => {
    let client = clients.get(bucket);
    if (!client) {
      client = import('ali-oss').then(({ default: Client }) => new Client(ossClientOptions(credentials, config, bucket)));
      clients.set(bucket, client);
    }
    return client;
  };
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
  };
}

export function ossError(error: unknown, operation: string, bucket: string, key: string): AppError {
  const info = sdkErrorInfo(error);
  if (isTransient(info)) return new UpstreamError('OssUnavailable', `OSS ${operation} on \`${bucket}/${key}\` failed: ${info.code}`, 502, error);
  if (info.code === 'AccessDenied' || info.statusCode === 403) {
    return new AppError('OssAccessDenied', `OSS denied ${operation} on \`oss://${bucket}/${key}\`: ${info.message}`, 403, {
      cause: error,
      hint: `allow the function role \`oss:${operation === 'GetObject' ? 'GetObject' : 'PutObject'}\` on \`acs:oss:*:*:${bucket}/${key.split('/')[0]}/*\``,
    });
  }
  return new AppError('OssFailed', `OSS ${operation} on \`oss://${bucket}/${key}\` failed: ${info.code}: ${info.message}`, 502, { cause: error });
}
