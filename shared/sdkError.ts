// The Alibaba SDKs throw plain objects with `code`, `statusCode`/`status` and a message that embeds
// both. This pulls out what our error mapping needs without depending on the SDKs' classes.

export interface SdkErrorInfo {
  code: string;
  statusCode?: number;
  message: string;
  requestId?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ReadTimeout', 'ConnectionTimeoutError', 'ResponseTimeoutError', 'RequestTimeoutError', 'ReadTimeoutError', 'RequestError']);

export function sdkErrorInfo(error: unknown): SdkErrorInfo {
  const e = (error ?? {}) as { code?: unknown; name?: unknown; statusCode?: unknown; status?: unknown; message?: unknown; requestId?: unknown; data?: { Message?: unknown } };
  // The SDKs' HTTP layer (httpx) reports timeouts by name only, e.g. `RequestTimeoutError`.
  const namedError = typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  const code = typeof e.code === 'string' ? e.code : (namedError ?? 'UnknownError');
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' && e.status > 0 ? e.status : undefined;
  // openapi-core prefixes the message with "<code>: code: <status>, " and appends " request id: …"; the body's Message is cleaner.
  const message = typeof e.data?.Message === 'string' ? e.data.Message : typeof e.message === 'string' ? e.message : String(error);
  return { code, statusCode, message, requestId: typeof e.requestId === 'string' ? e.requestId : undefined };
}

/** Throttling, 5xx and network failures: worth retrying later. */
export function isTransient(info: SdkErrorInfo): boolean {
  return info.code.includes('Throttling') || (info.statusCode !== undefined && info.statusCode >= 500) || NETWORK_CODES.has(info.code) || info.statusCode === 429;
}
