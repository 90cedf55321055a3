// HTTP trigger handler: route, authenticate, run the route, and answer JSON — errors included.
import type { Credentials } from '../../shared/credentials';
import { ownHint } from '../../shared/errorHints';
import { AppError, toAppError } from '../../shared/errors';
import { errorResponse, jsonResponse, parseHttpEvent, type HttpRequest } from '../../shared/fc/httpEvent';
import type { FcContext, FcHttpResponse } from '../../shared/fc/types';
import { describeError } from '../../shared/log';
import { createMnsPushVerifier, type MnsPushVerifier } from '../../shared/mnsPush';
import { createProbeStore, sidecarStores, type ProbeStore, type SidecarStore } from '../../shared/oss';
import { createRuntime, invocationFrom, type Runtime, type RuntimeOptions } from '../../shared/runtime';
import { authenticate } from './auth';
import { matchPath, routes, type ApiServices, type Route } from './routes';

function findRoute(request: HttpRequest): { route: Route; params: Record<string, string> } {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const candidates = routes.flatMap((route) => {
    const params = matchPath(route.path, path);
    return params ? [{ route, params }] : [];
  });
  if (candidates.length === 0) throw new AppError('NotFound', `no route for \`${path.slice(0, 100)}\``, 404);
  const found = candidates.find((c) => c.route.method === request.method);
  if (!found) throw new AppError('MethodNotAllowed', `\`${request.method.slice(0, 20)}\` is not allowed on \`${path.slice(0, 100)}\`; use ${candidates.map((c) => c.route.method).join(', ')}`, 405);
  return found;
}

export interface ApiHandlerOptions extends RuntimeOptions {
  runtime?: Runtime;
  sidecars?: (credentials: Credentials) => SidecarStore;
  probes?: (credentials: Credentials) => ProbeStore;
  mnsPush?: MnsPushVerifier;
}

/** Test fakes may replace any part; otherwise each is built from the environment when first needed. */
export function createHandler(options: ApiHandlerOptions = {}) {
  let runtime: Runtime | undefined = options.runtime;
  let sidecarsFor = options.sidecars;
  let mnsPush = options.mnsPush;
  // Per warm container, like the runtime: the verifier keeps the certificates it fetched.
  const services = (config: Runtime['config']): ApiServices => ({
    mnsPush: () => (mnsPush ??= createMnsPushVerifier({ allowedPrefixes: config.mnsCertUrlPrefixes })),
    sidecars: (credentials) => (sidecarsFor ??= sidecarStores(config))(credentials),
    probes: (credentials) => (options.probes ?? ((c: Credentials) => createProbeStore(c, config)))(credentials),
  });
  return async function handler(event: Buffer, context: FcContext): Promise<FcHttpResponse> {
    runtime ??= createRuntime(options);
    const log = runtime.log.child({ requestId: context.requestId });
    let requestId = context.requestId;
    try {
      // Only the event's head is parsed here; the body is decoded on first read, after the token check below.
      const request = parseHttpEvent(event);
      requestId = request.requestId ?? requestId;
      const { route, params } = findRoute(request);
      const isPublic = typeof route.public === 'function' ? route.public(request) : route.public;
      if (!isPublic) {
        if (runtime.config.apiTokenHashes.length === 0) {
          throw new AppError('ApiNotConfigured', 'API_TOKENS_SHA256 is empty, so no caller can be authenticated', 500, { expose: false, hint: ownHint('ApiNotConfigured') });
        }
        authenticate(request.headers.authorization, runtime.config.apiTokenHashes);
      }
      const result = await route.handle(request, runtime, invocationFrom(context, runtime.log), params, services(runtime.config));
      log.info({ method: request.method, path: route.path, status: result.status }, 'request done');
      if (result.status === 204) return { statusCode: 204, headers: { 'cache-control': 'no-store' }, isBase64Encoded: false, body: '' };
      return jsonResponse(result.status, result.body);
    } catch (caught) {
      const error = toAppError(caught);
      log[error.statusCode >= 500 ? 'error' : 'info']({ err: describeError(error), status: error.statusCode }, 'request failed');
      return errorResponse(error, requestId);
    }
  };
}

export const handler = createHandler();
