// Parses the FC 3.0 HTTP trigger event (version v1) into a plain request, and builds its response.
import * as v from 'valibot';
import { BadRequestError, type AppError } from '../errors';
import { decodeEventPayload } from './ossEvent';
import type { FcHttpResponse } from './types';

export interface HttpRequest {
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  body: Buffer;
  sourceIp?: string;
  requestId?: string;
}

const eventSchema = v.object({
  version: v.literal('v1'),
  rawPath: v.optional(v.string()),
  headers: v.optional(v.record(v.string(), v.string()), {}),
  queryParameters: v.optional(v.record(v.string(), v.string()), {}),
  body: v.optional(v.string(), ''),
  isBase64Encoded: v.optional(v.boolean(), false),
  requestContext: v.object({
    requestId: v.optional(v.string()),
    http: v.object({ method: v.pipe(v.string(), v.minLength(1)), path: v.string(), sourceIp: v.optional(v.string()) }),
  }),
});

export function parseHttpEvent(event: unknown): HttpRequest {
  const result = v.safeParse(eventSchema, decodeEventPayload(event));
  if (!result.success) {
    const issue = result.issues[0];
    throw new BadRequestError(`not an FC HTTP trigger event: ${v.getDotPath(issue) || 'event'}: ${issue.message}`, undefined, 'InvalidEvent');
  }
  const e = result.output;
  return {
    method: e.requestContext.http.method.toUpperCase(),
    path: e.requestContext.http.path,
    headers: Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v])),
    query: e.queryParameters,
    body: Buffer.from(e.body, e.isBase64Encoded ? 'base64' : 'utf8'),
    sourceIp: e.requestContext.http.sourceIp,
    requestId: e.requestContext.requestId || undefined,
  };
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): FcHttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    isBase64Encoded: false,
    body: JSON.stringify(body),
  };
}

/** The JSON error body of DESIGN §3.3. Unexposed errors (5xx internals) get a generic message. */
export function errorResponse(error: AppError, requestId: string | undefined): FcHttpResponse {
  const message = error.expose ? error.message : 'internal error';
  const body = { error: { code: error.expose ? error.code : 'InternalError', message, ...(error.expose && error.hint ? { hint: error.hint } : {}), requestId } };
  const headers: Record<string, string> = error.statusCode === 401 ? { 'www-authenticate': 'Bearer' } : {};
  return jsonResponse(error.statusCode, body, headers);
}
