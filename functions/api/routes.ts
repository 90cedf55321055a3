// The routes of the api function (DESIGN §3.3). Each parses its body and calls one domain function.
import { BadRequestError, PayloadTooLargeError } from '../../shared/errors';
import type { HttpRequest } from '../../shared/fc/httpEvent';
import { scoreImage } from '../../shared/images';
import type { Invocation, Runtime } from '../../shared/runtime';

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface Route {
  method: string;
  path: string;
  public?: boolean;
  handle(request: HttpRequest, runtime: Runtime, invocation: Invocation): Promise<RouteResult>;
}

export const MAX_BODY_BYTES = 16 * 1024;

export function jsonBody(request: HttpRequest): Record<string, unknown> {
  if (request.body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const contentType = request.headers['content-type'] ?? '';
  if (contentType && !/^application\/json\b/i.test(contentType)) {
    throw new BadRequestError(`unsupported content type \`${contentType.slice(0, 60)}\``, 'send `Content-Type: application/json`', 'UnsupportedContentType');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString('utf8') || 'null');
  } catch {
    throw new BadRequestError('the body is not valid JSON', 'send a JSON object such as `{"uri":"oss://bucket/key"}`', 'InvalidJson');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError('the body must be a JSON object', 'send a JSON object such as `{"uri":"oss://bucket/key"}`', 'InvalidBody');
  }
  return parsed as Record<string, unknown>;
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    public: true,
    handle: async () => ({ status: 200, body: { status: 'ok' } }),
  },
  {
    method: 'POST',
    path: '/images/score',
    handle: async (request, runtime, invocation) => {
      const { uri } = jsonBody(request);
      return { status: 200, body: await scoreImage(uri, runtime, invocation) };
    },
  },
];
