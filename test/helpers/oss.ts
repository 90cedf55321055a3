// ali-oss pointed at a local OSS emulator, path-style, and reading its XML errors from raw responses.
import OSS from 'ali-oss';

export interface OssKey {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** A real ali-oss client for `http://localhost:<port>` (sldEnable: path-style), V1-signed unless `authorizationV4`. */
export function localOssClient(port: number, bucket: string, key: OssKey, options: Record<string, unknown> = {}): OSS {
  return new OSS({
    endpoint: `http://localhost:${port}`,
    sldEnable: true,
    bucket,
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    ...(key.securityToken
      ? {
          stsToken: key.securityToken,
          // Silences ali-oss's advice to refresh STS tokens; tests control expiry themselves.
          refreshSTSTokenInterval: 3_600_000,
        }
      : {}),
    region: 'oss-cn-hangzhou',
    ...options,
  } as OSS.Options);
}

/** Status, Code and Message of an OSS XML error response (and its text, for messages). */
export async function ossErrorOf(response: Response): Promise<{ status: number; code?: string; message?: string; text: string }> {
  const text = await response.text();
  const field = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1];
  return { status: response.status, code: field('Code'), message: field('Message'), text };
}

/** ali-oss's versioning calls, which @types/ali-oss 6.x does not declare (ali-oss lib/common/bucket/*Versioning.js, object/getBucketVersions.js). */
export interface OssVersioningCalls {
  putBucketVersioning(bucket: string, status: 'Enabled' | 'Suspended'): Promise<{ status: number }>;
  getBucketVersioning(bucket: string): Promise<{ status: number; versionStatus?: string }>;
  getBucketVersions(query?: Record<string, unknown>): Promise<{
    objects: { name: string; versionId: string; isLatest: boolean; etag: string; size: number }[];
    deleteMarker: { name: string; versionId: string }[];
    isTruncated: boolean;
    nextKeyMarker: string | null;
    nextVersionIdMarker: string | null;
  }>;
}

export function versioningCalls(client: OSS): OssVersioningCalls {
  return client as unknown as OssVersioningCalls;
}
