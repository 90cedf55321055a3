// The routes of the api function (DESIGN §3.3). Each parses its body and calls one domain function.
import type { Credentials } from '../../shared/credentials';
import { BadRequestError, PayloadTooLargeError } from '../../shared/errors';
import type { HttpRequest } from '../../shared/fc/httpEvent';
import { scoreImage } from '../../shared/images';
import type { MnsPushVerifier } from '../../shared/mnsPush';
import type { ProbeStore, SidecarStore } from '../../shared/oss';
import { deepHealth } from '../../shared/health';
import type { Invocation, Runtime } from '../../shared/runtime';
import { receiveTaskPush } from '../../shared/taskPush';
import { previewDocument, refreshPreview, submitDocumentConvert, submitMediaConvert, taskStatus } from '../../shared/tasks';

export interface RouteResult {
  status: number;
  body: unknown;
}

/** What only some routes need, built on first use so that the others never load it (ali-oss above all). */
export interface ApiServices {
  mnsPush(): MnsPushVerifier;
  sidecars(credentials: Credentials): SidecarStore;
  probes(credentials: Credentials): ProbeStore;
}

export interface Route {
  method: string;
  /** Literal segments, or `{name}` for a parameter. */
  path: string;
  /** No bearer token: the route authenticates its caller itself, or needs none. A function decides per request. */
  public?: boolean | ((request: HttpRequest) => boolean);
  handle(request: HttpRequest, runtime: Runtime, invocation: Invocation, params: Record<string, string>, services: ApiServices): Promise<RouteResult>;
}

export const MAX_BODY_BYTES = 16 * 1024;
/** An MNS message is at most 64 KiB; its XML envelope escapes it, so a push may be larger. */
export const MAX_PUSH_BYTES = 512 * 1024;

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

/** `deep` present with any value but `0`/`false`. */
const isDeep = (request: HttpRequest): boolean => request.query.deep !== undefined && !/^(0|false)$/i.test(request.query.deep);

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    // Shallow and public; `?deep=1` runs the whole chain with the function's role (shared/health.ts), so it writes
    // (a probe object) and calls STS and IMM: only with a bearer token.
    public: (request) => !isDeep(request),
    handle: async (request, runtime, invocation, _params, services) => {
      if (!isDeep(request)) return { status: 200, body: { status: 'ok' } };
      const report = await deepHealth(runtime, invocation, services.probes(invocation.credentials));
      return { status: report.ok ? 200 : 503, body: report };
    },
  },
  {
    method: 'POST',
    path: '/images/score',
    handle: async (request, runtime, invocation) => {
      const { uri } = jsonBody(request);
      return { status: 200, body: await scoreImage(uri, runtime, invocation) };
    },
  },
  {
    method: 'POST',
    path: '/media/convert',
    handle: async (request, runtime, invocation) => {
      const { uri, container } = jsonBody(request);
      return { status: 202, body: await submitMediaConvert(uri, container, runtime, invocation) };
    },
  },
  {
    method: 'POST',
    path: '/documents/convert',
    handle: async (request, runtime, invocation) => {
      const { uri, targetType } = jsonBody(request);
      return { status: 202, body: await submitDocumentConvert(uri, targetType, runtime, invocation) };
    },
  },
  {
    method: 'POST',
    path: '/documents/preview',
    handle: async (request, runtime, invocation) => {
      const { uri, readonly, user } = jsonBody(request);
      return { status: 200, body: await previewDocument(uri, readonly, user, runtime, invocation) };
    },
  },
  {
    method: 'POST',
    path: '/documents/preview/refresh',
    handle: async (request, runtime, invocation) => {
      const { accessToken, refreshToken } = jsonBody(request);
      return { status: 200, body: await refreshPreview(accessToken, refreshToken, runtime, invocation) };
    },
  },
  {
    // The task topic's HTTP subscription (MNS cannot send a bearer token): MNS's signature is mandatory instead.
    // 204 acknowledges (done, or nothing to do); 503 asks MNS to push again; a push that fails verification gets 4xx.
    method: 'POST',
    path: '/notifications/imm',
    public: true,
    handle: async (request, runtime, invocation, _params, services) => {
      if (request.body.length > MAX_PUSH_BYTES) throw new PayloadTooLargeError(MAX_PUSH_BYTES);
      const message = await services.mnsPush().verify(request);
      await receiveTaskPush(message, runtime, invocation, services.sidecars(invocation.credentials));
      return { status: 204, body: undefined };
    },
  },
  {
    method: 'GET',
    path: '/tasks/{taskType}/{taskId}',
    handle: async (_request, runtime, invocation, params) => ({ status: 200, body: await taskStatus(params.taskType, params.taskId, runtime, invocation) }),
  },
];

/** Matches a request path against a route pattern; returns the parameters, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const name = /^\{(\w+)\}$/.exec(want[i])?.[1];
    if (name) {
      if (!got[i]) return undefined;
      params[name] = got[i];
    } else if (want[i] !== got[i]) return undefined;
  }
  return params;
}
