// How IMM fetches an object: over HTTP through the real ali-oss client, signed with IMM's temporary
// credentials, so the OSS emulator authenticates and authorizes it (bucket policy included) like any request.
import OSS from 'ali-oss';

export interface ReaderCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/**
 * Reads a whole object. A failure should carry OSS's error `code` (`AccessDenied`, `NoSuchKey`,
 * `NoSuchBucket`, …), and `status` and `message` when known, as ali-oss errors do; anything else counts
 * as an internal error. Injectable so that unit tests need no sockets.
 */
export type ObjectReader = (bucket: string, key: string, credentials: ReaderCredentials) => Promise<Buffer>;

/** An ali-oss client for a local, path-style OSS endpoint such as `http://localhost:9100`, as IMM's session. */
export function immOssClient(ossEndpoint: string, region: string, bucket: string, credentials: ReaderCredentials, timeoutMs: number): OSS {
  return new OSS({
    endpoint: ossEndpoint,
    sldEnable: true,
    bucket,
    region: `oss-${region}`,
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    stsToken: credentials.securityToken,
    timeout: timeoutMs,
    // DataAccess renews the session itself; a non-zero interval without a refresh function keeps ali-oss
    // from warning that it cannot refresh the token.
    refreshSTSTokenInterval: 60 * 60 * 1000,
  } as OSS.Options);
}

/** The default reader. */
export function createOssReader(ossEndpoint: string, region: string, timeoutMs = 60_000): ObjectReader {
  return async (bucket, key, credentials) => {
    const result = await immOssClient(ossEndpoint, region, bucket, credentials, timeoutMs).get(key);
    return Buffer.isBuffer(result.content) ? result.content : Buffer.from(result.content as Uint8Array);
  };
}
