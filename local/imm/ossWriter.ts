// How IMM stores a result: PutObject over HTTP through the real ali-oss client, signed with IMM's temporary
// credentials, so the OSS emulator authorizes the write (bucket policy included) like any request.
import { immOssClient, type ReaderCredentials } from './ossReader';

/**
 * Writes a whole object from a local file. A failure should carry OSS's error `code` (`AccessDenied`,
 * `NoSuchBucket`, …) as ali-oss errors do. Injectable so that unit tests need no sockets.
 */
export type ObjectWriter = (bucket: string, key: string, file: string, credentials: ReaderCredentials, contentType?: string) => Promise<void>;

/** The default writer, for an OSS endpoint such as `http://localhost:9100` (path-style, `sldEnable`). */
export function createOssWriter(ossEndpoint: string, region: string, timeoutMs = 120_000): ObjectWriter {
  return async (bucket, key, file, credentials, contentType) => {
    await immOssClient(ossEndpoint, region, bucket, credentials, timeoutMs).put(key, file, contentType ? { mime: contentType } : undefined);
  };
}
