// HTTP trigger handler: route, authenticate, run the route, and answer JSON — errors included.
import { AppError, toAppError } from '../../shared/errors';
import { errorResponse, jsonResponse, parseHttpEvent, type HttpRequest } from '../../shared/fc/httpEvent';
import type { FcContext, FcHttpResponse } from '../../shared/fc/types';
import { describeError } from '../../shared/log';
import { createRuntime, invocationFrom, type Runtime, type RuntimeOptions } from '../../shared/runtime';
import { authenticate } from './auth';
import { matchPath, routes, type Route } from './routes';

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

/** `runtime` lets tests inject fakes; otherwise it is built from the environment on the first invocation. */
export function createHandler(options: RuntimeOptions & { runtime?: Runtime } = {}) {
  let runtime: Runtime | undefined = options.runtime;
  return async function handler(event: Buffer, context: FcContext): Promise<FcHttpResponse> {
    runtime ??= createRuntime(options);
    const log = runtime.log.child({ requestId: context.requestId });
    let requestId = context.requestId;
    try {
      const request = parseHttpEvent(event);
      requestId = request.requestId ?? requestId;
      const { route, params } = findRoute(request);
      if (!route.public) {
        if (runtime.config.apiTokenHashes.length === 0) {
          throw new AppError('ApiNotConfigured', 'API_TOKENS_SHA256 is empty, so no caller can be authenticated', 500, { expose: false });
        }
        authenticate(request.headers.authorization, runtime.config.apiTokenHashes);
      }
      const result = await route.handle(request, runtime, invocationFrom(context, runtime.log), params);
      log.info({ method: request.method, path: route.path, status: result.status }, 'request done');
      return jsonResponse(result.status, result.body);
    } catch (caught) {
      const error = toAppError(caught);
      log[error.statusCode >= 500 ? 'error' : 'info']({ err: describeError(error), status: error.statusCode }, 'request failed');
      return errorResponse(error, requestId);
    }
  };
}

export const handler = createHandler();
