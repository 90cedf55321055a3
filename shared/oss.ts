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
  processedAt: string;
}

export interface SidecarStore {
  write(bucket: string, sourceKey: string, sidecar: Sidecar): Promise<string>;
  read(bucket: string, sourceKey: string): Promise<Sidecar | undefined>;
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
  };
  if (!config.ossEndpoint) return { ...common, secure: true };
  // A local endpoint (the offline stack) takes path-style requests: http://localhost:PORT/<bucket>/<key>.
  return { ...common, endpoint: config.ossEndpoint, sldEnable: true } as OssClientOptions;
}

/**
 * Sidecar stores for a warm container, one per set of function credentials: renewed credentials get a new
 * client. Only on-upload uses this, so only its bundle carries ali-oss.
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
  return {
    async write(bucket, sourceKey, sidecar) {
      const key = sidecarKey(config.resultsPrefix, sourceKey);
      try {
        const client = await clientFor(bucket);
        await client.put(key, Buffer.from(JSON.stringify(sidecar, null, 2)), { mime: 'application/json', headers: { 'Content-Type': 'application/json' } });
        return key;
      } catch (error) {
        throw ossError(error, 'PutObject', bucket, key);
      }
    },
    async read(bucket, sourceKey) {
      const key = sidecarKey(config.resultsPrefix, sourceKey);
      try {
        const client = await clientFor(bucket);
        const result = await client.get(key);
        return JSON.parse((result.content as Buffer).toString('utf8')) as Sidecar;
      } catch (error) {
        if (sdkErrorInfo(error).code === 'NoSuchKey') return undefined;
        throw ossError(error, 'GetObject', bucket, key);
      }
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
