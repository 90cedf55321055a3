// Parses the FC 3.0 HTTP trigger event (version v1) into a plain request, and builds its response.
import * as v from 'valibot';
import { BadRequestError, type AppError } from '../errors';
import { topLevelStringMember } from './jsonMember';
import { decodeEventPayload } from './ossEvent';
import type { FcHttpResponse } from './types';

export interface HttpRequest {
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /**
   * Decoded on first read (and kept): the api authenticates the caller before it reads the body, so an
   * unauthenticated request of FC's 32 MB costs no JSON parse, string or Buffer of that size. A body FC could not
   * have encoded is a 400 `InvalidEvent` at that read.
   */
  readonly body: Buffer;
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

const EMPTY_STRING = Buffer.from('""');

/**
 * The event without its body, and the body's JSON string literal set aside. FC builds the event, so its shape is
 * trusted; only the body's content comes from the caller, and it stays undecoded here.
 */
function setBodyAside(event: unknown): { head: unknown; bodyLiteral?: Buffer } {
  const bytes = Buffer.isBuffer(event) ? event : typeof event === 'string' ? Buffer.from(event, 'utf8') : undefined;
  if (!bytes) return { head: event };
  const span = topLevelStringMember(bytes, 'body');
  if (!span) return { head: bytes };
  return {
    head: Buffer.concat([bytes.subarray(0, span.start), EMPTY_STRING, bytes.subarray(span.end)]),
    bodyLiteral: bytes.subarray(span.start, span.end),
  };
}

function decodeBody(literal: Buffer, base64: boolean): Buffer {
  let text: unknown;
  try {
    text = JSON.parse(literal.toString('utf8'));
  } catch {
    throw new BadRequestError('not an FC HTTP trigger event: body: not a JSON string', undefined, 'InvalidEvent');
  }
  return Buffer.from(text as string, base64 ? 'base64' : 'utf8');
}

export function parseHttpEvent(event: unknown): HttpRequest {
  const { head, bodyLiteral } = setBodyAside(event);
  const result = v.safeParse(eventSchema, decodeEventPayload(head));
  if (!result.success) {
    const issue = result.issues[0];
    throw new BadRequestError(`not an FC HTTP trigger event: ${v.getDotPath(issue) || 'event'}: ${issue.message}`, undefined, 'InvalidEvent');
  }
  const e = result.output;
  let body: Buffer | undefined;
  return {
    method: e.requestContext.http.method.toUpperCase(),
    path: e.requestContext.http.path,
    headers: Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v])),
    query: e.queryParameters,
    get body() {
      return (body ??= bodyLiteral ? decodeBody(bodyLiteral, e.isBase64Encoded) : Buffer.from(e.body, e.isBase64Encoded ? 'base64' : 'utf8'));
    },
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
