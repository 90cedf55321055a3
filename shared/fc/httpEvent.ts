// Parses the FC 3.0 HTTP trigger event (version v1) into a plain request, and builds its response.
import { z } from 'zod';
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

const eventSchema = z.object({
  version: z.literal('v1'),
  rawPath: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  queryParameters: z.record(z.string(), z.string()).default({}),
  body: z.string().default(''),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({
    requestId: z.string().optional(),
    http: z.object({ method: z.string().min(1), path: z.string(), sourceIp: z.string().optional() }),
  }),
});

export function parseHttpEvent(event: unknown): HttpRequest {
  const result = eventSchema.safeParse(decodeEventPayload(event));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BadRequestError(`not an FC HTTP trigger event: ${issue.path.join('.') || 'event'}: ${issue.message}`, undefined, 'InvalidEvent');
  }
  const e = result.data;
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
