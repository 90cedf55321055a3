// The shapes Function Compute 3.0 hands to a Node.js handler (reference/fc.md §1–§2).

export interface FcCredentials {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}

/** The handler context. Every field is optional because FC fills some only in some setups (credentials: only with a role). */
export interface FcContext {
  requestId?: string;
  credentials?: FcCredentials;
  function?: { name?: string; handler?: string; memory?: number; timeout?: number };
  service?: { logProject?: string; logStore?: string; qualifier?: string };
  region?: string;
  accountId?: string;
  retryCount?: number;
}

/** One element of `events` in an OSS trigger payload. */
export interface FcOssEventRecord {
  eventName: string;
  eventSource: string;
  eventTime: string;
  eventVersion: string;
  oss: {
    bucket: { arn: string; name: string; ownerIdentity: string; virtualBucket?: string };
    object: { deltaSize?: number; eTag: string; key: string; size: number; objectMeta?: { mimeType?: string } };
    ossSchemaVersion: string;
    ruleId: string;
  };
  region: string;
  requestParameters: { sourceIPAddress: string };
  responseElements: { requestId: string };
  userIdentity: { principalId: string };
}

export interface FcOssEvent {
  events: FcOssEventRecord[];
}

/** HTTP trigger event, version v1. Multi-valued headers and query parameters arrive comma-joined. */
export interface FcHttpEvent {
  version: 'v1';
  rawPath: string;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: {
    accountId?: string;
    domainName?: string;
    domainPrefix?: string;
    requestId?: string;
    time?: string;
    timeEpoch?: string;
    triggerId?: string;
    http: { method: string; path: string; protocol?: string; sourceIp?: string; userAgent?: string };
  };
}

export interface FcHttpResponse {
  statusCode: number;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  body: string;
}

export type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>;
