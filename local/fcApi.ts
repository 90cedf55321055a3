// The local FC's control API: the FC 3.0 (2023-03-30) subset that `doctor` calls through `@alicloud/fc2` with
// `client.version = '2023-03-30'`, the pattern fc3 itself uses (reference/deploy.md §5):
//   GET  /2023-03-30/functions/{name}              GetFunction    fc:GetFunction
//   GET  /2023-03-30/functions/{name}/triggers     ListTriggers   fc:ListTriggers
//   POST /2023-03-30/functions/{name}/invocations  InvokeFunction fc:InvokeFunction (x-fc-invocation-type Sync|Async)
// What it reports is what s.yaml deployed (local/deploy.ts); invocations run in the same FcRunner as the triggers.
//
// Order per request: FC signature (local/fcSignature.ts) → route → RAM: the signer's own account's policies must
// allow the action on `acs:fc:<region>:<account>:functions/<name>` (FC 3.0 API docs, "RAM authorization"; FC
// functions have no resource policy, so another account's key is refused) → the function must exist (404).
//
// Wire shapes (FC 3.0 API reference, alibabacloud.com/help/en/functioncompute/fc/developer-reference/):
// - Function and Trigger structs in camelCase; a trigger's `triggerConfig` is a JSON string.
// - Errors: the FC 3.0 Error struct `{"Code","Message","RequestId"}` (api-fc-2023-03-30-struct-error), with the
//   codes of FC's error table (FunctionNotFound, AccessDenied, SignatureNotMatch, PathNotSupported, EntityTooLarge).
//   fc2 reads `ErrorCode`, so against FC 3.0 its error's `code` is undefined: branch on the status in its message.
// - A sync invocation answers 200 with the function's result; a function that throws answers with the header
//   `x-fc-error-type: UnhandledInvocationError` and `{"errorMessage","errorType"}` (FC's "Error handling" pages;
//   that the status stays 200 is UNVERIFIED). An async invocation answers 202 with `x-fc-request-id`.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FcRunner } from './fc';
import { createFcSignatureVerifier } from './fcSignature';
import type { Ram } from './ram';
import { listen, readBody, type RunningServer } from './server';
import type { FunctionSpecFromYaml, Json } from './sYaml';
import type { Telemetry } from './telemetry';

export const FC_API_VERSION = '2023-03-30';

/** FC's payload limits: 32 MB for a synchronous invocation, 128 KB for an asynchronous one (FC limits page; async: UNVERIFIED for 3.0). */
const MAX_SYNC_PAYLOAD = 32 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 128 * 1024;

export interface FcApiOptions {
  ram: Ram;
  telemetry: Telemetry;
  runner: FcRunner;
  region: string;
  /** The account the functions belong to (the data account). */
  accountId: string;
  /** The functions s.yaml deployed. */
  functions: readonly FunctionSpecFromYaml[];
  /** The environment a function (by resource name) runs with now: s.yaml's values plus the local endpoints. */
  environment(resource: string): Record<string, string>;
  /** The URL of a function's HTTP trigger, when it has one. */
  httpTriggerUrl(functionName: string): string | undefined;
  /** When the functions were deployed (epoch ms): their createdTime and lastModifiedTime. */
  deployedAt: number;
  now?: () => number;
}

type Operation = 'GetFunction' | 'ListTriggers' | 'InvokeFunction';

interface ApiError {
  status: number;
  code: string;
  message: string;
}

const ROUTE = new RegExp(`^/${FC_API_VERSION}/functions/([^/]+)(/triggers|/invocations)?$`);

export async function startFcApi(options: FcApiOptions, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const verifier = createFcSignatureVerifier({ ram: options.ram, now: options.now });
  const server = createServer((req, res) => {
    const requestId = `1-${randomUUID()}`;
    handle(options, verifier, req, res, requestId).catch((error: unknown) => {
      if (!res.headersSent) writeError(res, requestId, { status: 500, code: 'InternalServerError', message: String((error as Error)?.message ?? error) });
      else res.destroy();
    });
  });
  return listen(server, port, host);
}

async function handle(options: FcApiOptions, verifier: ReturnType<typeof createFcSignatureVerifier>, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_SYNC_PAYLOAD);
  } catch {
    return writeError(res, requestId, { status: 400, code: 'EntityTooLarge', message: `payload size exceeds maximum allowed size (${MAX_SYNC_PAYLOAD} bytes)` });
  }
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const verdict = verifier.verify({ method, url, headers: req.headersDistinct, body });
  if (!verdict.ok) return writeError(res, requestId, verdict.error);

  const target = route(method, url);
  if (!target) return writeError(res, requestId, { status: 400, code: 'PathNotSupported', message: `'${method}' against '${url.split('?')[0]}' is not supported by the local FC (GetFunction, ListTriggers, InvokeFunction)` });
  const { operation, functionName, query } = target;
  options.telemetry.countCall('fc', operation);

  // x-fc-account-id names the account whose functions are addressed (fc2 sends its `accountid`); the cloud routes
  // on it through the endpoint's host name, the local FC has one account.
  const accountId = single(req.headersDistinct['x-fc-account-id']) || options.accountId;
  const resource = `acs:fc:${options.region}:${accountId}:functions/${functionName}`;
  const caller = verdict.caller;
  const decision = caller.accountId === accountId ? options.ram.authorizeIdentity('fc', caller, `fc:${operation}`, resource).decision : 'ImplicitDeny';
  if (decision !== 'Allow') {
    const why = caller.accountId === accountId ? `no policy of account ${accountId} allows it (${decision})` : `the signer belongs to account ${caller.accountId ?? '?'}, and FC functions take no grants from another account`;
    return writeError(res, requestId, { status: 403, code: 'AccessDenied', message: `${caller.arn} is not authorized to perform fc:${operation} on ${resource}: ${why}` });
  }

  const fn = accountId === options.accountId ? options.functions.find((f) => f.functionName === functionName) : undefined;
  if (!fn) return writeError(res, requestId, { status: 404, code: 'FunctionNotFound', message: `function '${functionName}' does not exist` });
  const qualifier = query.get('qualifier');
  if (qualifier && qualifier !== 'LATEST') {
    return writeError(res, requestId, { status: 404, code: 'VersionNotFound', message: `qualifier '${qualifier}' of function '${functionName}' does not exist: the local FC deploys LATEST only` });
  }

  options.telemetry.countSuccess('fc', operation);
  if (operation === 'GetFunction') return writeJson(res, 200, requestId, functionView(options, fn));
  if (operation === 'ListTriggers') return writeJson(res, 200, requestId, listTriggers(options, fn, query));
  return invoke(options, fn, single(req.headersDistinct['x-fc-invocation-type']) ?? 'Sync', body, res, requestId);
}

function route(method: string, url: string): { operation: Operation; functionName: string; query: URLSearchParams } | undefined {
  const parsed = new URL(url, 'http://local');
  const match = ROUTE.exec(parsed.pathname);
  if (!match) return undefined;
  let functionName: string;
  try {
    functionName = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  const operation: Operation | undefined = !match[2] && method === 'GET' ? 'GetFunction' : match[2] === '/triggers' && method === 'GET' ? 'ListTriggers' : match[2] === '/invocations' && method === 'POST' ? 'InvokeFunction' : undefined;
  return operation ? { operation, functionName, query: parsed.searchParams } : undefined;
}

/** FC 3.0's Function struct, for the fields s.yaml sets (and the state FC reports for a deployed function). */
function functionView(options: FcApiOptions, fn: FunctionSpecFromYaml): Record<string, Json> {
  const at = isoSeconds(options.deployedAt);
  return {
    functionId: stableId(`${options.accountId}/${fn.functionName}`),
    functionName: fn.functionName,
    functionArn: `acs:fc:${options.region}:${options.accountId}:functions/${fn.functionName}`,
    description: typeof fn.props.description === 'string' ? fn.props.description : '',
    runtime: fn.runtime,
    handler: fn.handler,
    timeout: fn.timeoutSeconds,
    memorySize: fn.memoryMb,
    // fc3 lower-cases role ARNs before it creates the function (reference/deploy.md §5), so FC reports them so.
    role: (fn.role ?? '').toLowerCase(),
    environmentVariables: { ...options.environment(fn.resource) },
    internetAccess: fn.props.internetAccess !== false,
    state: 'Active',
    lastUpdateStatus: 'Successful',
    createdTime: at,
    lastModifiedTime: at,
  };
}

/** FC 3.0's ListTriggers: `{triggers:[Trigger…], nextToken?}`, by name, with `prefix`, `limit` (≤100, default 20) and `nextToken`. */
function listTriggers(options: FcApiOptions, fn: FunctionSpecFromYaml, query: URLSearchParams): Record<string, Json> {
  const raw = Array.isArray(fn.props.triggers) ? fn.props.triggers : [];
  const prefix = query.get('prefix') ?? '';
  const start = query.get('nextToken') ?? '';
  const limit = Math.min(Math.max(Number(query.get('limit') ?? 20) || 20, 1), 100);
  const all = raw
    .map((t) => triggerView(options, fn, (t ?? {}) as Record<string, Json>))
    .filter((t) => String(t.triggerName).startsWith(prefix) && String(t.triggerName) >= start)
    .sort((a, b) => String(a.triggerName).localeCompare(String(b.triggerName)));
  const page = all.slice(0, limit);
  const next = all[limit];
  return { triggers: page, ...(next ? { nextToken: String(next.triggerName) } : {}) };
}

function triggerView(options: FcApiOptions, fn: FunctionSpecFromYaml, t: Record<string, Json>): Record<string, Json> {
  const at = isoSeconds(options.deployedAt);
  const triggerName = typeof t.triggerName === 'string' ? t.triggerName : '';
  const url = t.triggerType === 'http' ? options.httpTriggerUrl(fn.functionName) : undefined;
  return {
    triggerId: stableId(`${options.accountId}/${fn.functionName}/${triggerName}`),
    triggerName,
    triggerType: typeof t.triggerType === 'string' ? t.triggerType : '',
    description: typeof t.description === 'string' ? t.description : '',
    qualifier: typeof t.qualifier === 'string' ? t.qualifier : 'LATEST',
    // fc3 lower-cases role ARNs (reference/deploy.md §5).
    invocationRole: typeof t.invocationRole === 'string' ? t.invocationRole.toLowerCase() : '',
    sourceArn: typeof t.sourceArn === 'string' ? t.sourceArn : '',
    targetArn: `acs:fc:${options.region}:${options.accountId}:functions/${fn.functionName}`,
    // FC 3.0 returns the trigger's configuration as a JSON string (fc3 sends s.yaml's map as one).
    triggerConfig: JSON.stringify(t.triggerConfig ?? {}),
    ...(url ? { httpTrigger: { urlInternet: url, urlIntranet: url } } : {}),
    createdTime: at,
    lastModifiedTime: at,
  };
}

async function invoke(options: FcApiOptions, fn: FunctionSpecFromYaml, invocationType: string, body: Buffer, res: ServerResponse, requestId: string): Promise<void> {
  if (invocationType === 'Async') {
    if (body.length > MAX_ASYNC_PAYLOAD) return writeError(res, requestId, { status: 400, code: 'EntityTooLarge', message: `payload size exceeds maximum allowed size (${MAX_ASYNC_PAYLOAD} bytes)` });
    // Accepted into the runner's durable queue, then delivered with the function's asyncInvokeConfig, like any trigger.
    options.runner.deliverAsync(fn.functionName, body.toString('utf8'), `invoke/${requestId}`);
    res.writeHead(202, { 'x-fc-request-id': requestId, 'content-length': 0 });
    res.end();
    return;
  }
  if (invocationType !== 'Sync') return writeError(res, requestId, { status: 400, code: 'InvalidArgument', message: `x-fc-invocation-type must be Sync or Async, got \`${invocationType}\`` });
  let result: unknown;
  try {
    result = await options.runner.invoke(fn.functionName, body);
  } catch (error) {
    const e = error as { message?: unknown; name?: unknown; code?: unknown };
    // The stack trace stays out: it names local paths, and FC's own stackTrace is the runtime's, not ours.
    const text = Buffer.from(JSON.stringify({ errorMessage: String(e?.message ?? error), errorType: String(e?.code ?? e?.name ?? 'Error') }));
    res.writeHead(200, { 'x-fc-request-id': requestId, 'x-fc-error-type': 'UnhandledInvocationError', 'content-type': 'application/json', 'content-length': text.length });
    res.end(text);
    return;
  }
  // The runtime hands back bytes: a Buffer as it is, a string as UTF-8, anything else as JSON. Its content type is
  // not JSON (UNVERIFIED), so fc2 returns the result as a string; callers parse it.
  const out = Buffer.isBuffer(result) ? result : Buffer.from(typeof result === 'string' ? result : (JSON.stringify(result) ?? ''), 'utf8');
  res.writeHead(200, { 'x-fc-request-id': requestId, 'content-type': 'application/octet-stream', 'content-length': out.length });
  res.end(out);
}

function writeError(res: ServerResponse, requestId: string, error: ApiError): void {
  writeJson(res, error.status, requestId, { Code: error.code, Message: error.message, RequestId: requestId });
}

function writeJson(res: ServerResponse, status: number, requestId: string, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'x-fc-request-id': requestId, 'content-type': 'application/json', 'content-length': text.length });
  res.end(text);
}

function single(value: readonly string[] | undefined): string | undefined {
  return value?.[0];
}

/** A stable UUID-shaped id from a name, so that GetFunction answers the same functionId on every call. */
function stableId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
