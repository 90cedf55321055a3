// How IMM fetches an object: over HTTP through the real ali-oss client, signed with IMM's temporary
// credentials, so the OSS emulator authenticates and authorizes it (bucket policy included) like any request.
// The body is a stream (ali-oss getStream): IMM pipes it to a temporary file or to the browser, and never
// holds a whole object unless it must (see MemoryBudget).
import OSS from 'ali-oss';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface ReaderCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** An object being read: its size (Content-Length) and its bytes, which the caller must consume or destroy. */
export interface ObjectBody {
  size: number;
  contentType?: string;
  stream: Readable;
}

/**
 * Opens an object. A failure should carry OSS's error `code` (`AccessDenied`, `NoSuchKey`, `NoSuchBucket`, …),
 * and `status` and `message` when known, as ali-oss errors do; anything else counts as an internal error.
 * Injectable so that unit tests need no sockets; a test reader may answer a Buffer, which is served as a stream.
 */
export type ObjectReader = (bucket: string, key: string, credentials: ReaderCredentials) => Promise<ObjectBody | Buffer>;

/** OSS error bodies are a few hundred bytes of XML. */
const ERROR_BODY_LIMIT = 64 * 1024;

interface UrllibResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data?: Buffer | null;
  res?: IncomingMessage;
}
interface Urllib {
  request(url: string, params: { customResponse?: boolean; streaming?: boolean }): Promise<UrllibResult>;
}

/**
 * ali-oss reads no body for a streamed GET that failed, so a refused read would lose OSS's error code (every 403
 * would be `UnknownError`). This urllib — the one ali-oss itself uses, through its documented `urllib` option —
 * reads the small error body first, so ali-oss parses the code as it does for a plain GET.
 */
const errorBodyUrllib: Urllib = (() => {
  const base = require(require.resolve('urllib', { paths: [require.resolve('ali-oss')] })) as Urllib;
  return {
    async request(url, params) {
      const result = await base.request(url, params);
      if ((params.customResponse || params.streaming) && result.status >= 400 && result.res) result.data = await readCapped(result.res, ERROR_BODY_LIMIT);
      return result;
    },
  };
})();

async function readCapped(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    if (length < limit) chunks.push(buffer.subarray(0, limit - length));
    length += buffer.length;
  }
  return Buffer.concat(chunks);
}

/** An ali-oss client for a local, path-style OSS endpoint such as `http://localhost:9100`, as IMM's session. */
export function immOssClient(ossEndpoint: string, region: string, bucket: string, credentials: ReaderCredentials, timeoutMs: number, urllib?: Urllib): OSS {
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
    ...(urllib ? { urllib } : {}),
  } as OSS.Options);
}

/**
 * The default reader: a signed GET whose body is handed over as it arrives. ali-oss's timeout covers the request
 * up to its headers; after that the body goes at its consumer's pace (a browser may read a PDF slowly), so no
 * timer cuts it, and a consumer that goes away destroys it.
 */
export function createOssReader(ossEndpoint: string, region: string, timeoutMs = 60_000): ObjectReader {
  return async (bucket, key, credentials) => {
    const result = await immOssClient(ossEndpoint, region, bucket, credentials, timeoutMs, errorBodyUrllib).getStream(key);
    const stream = result.stream as IncomingMessage;
    const headers = result.res.headers as Record<string, string | undefined>;
    const size = Number(headers['content-length']);
    if (!Number.isSafeInteger(size) || size < 0) {
      stream.destroy();
      throw Object.assign(new Error(`OSS answered \`${key}\` without a Content-Length`), { code: 'InvalidResponse' });
    }
    return { size, contentType: headers['content-type'], stream };
  };
}

/** A test reader's Buffer as the stream the rest of IMM expects. */
export function bodyOf(result: ObjectBody | Buffer): ObjectBody {
  if (!Buffer.isBuffer(result)) return result;
  return { size: result.length, stream: Readable.from([result]) };
}
