// The offline Function Compute: runs handlers the way FC 3.0 does — Buffer events, a context whose
// credentials are the function role's temporary keys, the function's timeout — delivers OSS, MNS topic and
// timer events asynchronously with the function's asyncInvokeConfig (retries, maximum event age), and serves
// HTTP triggers as v1 events behind the trigger's authType. What is deployed comes from s.yaml (local/deploy.ts).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { FcContext, FcHttpEvent, FcHttpResponse, FcOssEventRecord } from '../shared/fc/types';
import { listen, readBody, type RunningServer } from './server';
import type { Telemetry } from './telemetry';

export type Handler = (event: Buffer, context: FcContext) => Promise<unknown>;

export interface TemporaryKey {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  expiration?: Date;
}

/** How FC obtains a function role's keys: it assumes the role as the `fc.aliyuncs.com` service. */
export type RoleAssumer = (roleArn: string, sessionName: string) => Promise<TemporaryKey>;

export interface FunctionSpec {
  name: string;
  roleArn: string;
  handler: Handler;
  /** s.yaml's `handler`, e.g. `index.handler`, as FC reports it in the context. */
  handlerName?: string;
  /** FC ends an invocation that runs longer (default 60 here; fc3's own default is 3). */
  timeoutSeconds?: number;
  memoryMb?: number;
  /** s.yaml's asyncInvokeConfig: retries after the first attempt, and the age past which an event is dropped. */
  asyncInvoke?: { maxRetries: number; maxEventAgeSeconds: number };
}

/** How an HTTP trigger admits requests (s.yaml `triggerConfig.authType` and `methods`). */
export interface HttpTriggerOptions {
  authType: 'anonymous' | 'function';
  methods: readonly string[];
  /** For `function`: checks the request's Alibaba Cloud signature and the signer's right to invoke. */
  authenticate?: (request: { functionName: string; method: string; url: string; headers: IncomingMessage['headersDistinct']; body: Buffer }) => { ok: true } | { ok: false; code: string; message: string };
}

export interface TimerTrigger {
  functionName: string;
  triggerName: string;
  /** The next firing strictly after an instant (local/schedule.ts). */
  next(after: number): number;
  payload: string;
}

export interface OssTrigger {
  functionName: string;
  bucket: string;
  /** FC trigger event names, e.g. `oss:ObjectCreated:*`. */
  events: string[];
  prefix: string;
  suffix: string;
}

export interface FcRunnerOptions {
  assumeRole: RoleAssumer;
  telemetry: Telemetry;
  region: string;
  accountId: string;
  /** Delay before retry n (1-based) of a failed async invocation; FC retries 3 times by default. */
  retryDelaysMs?: number[];
  /** Deliver every async event (OSS, topic) this many times, concurrently: triggers are at-least-once. Default 1. */
  deliveryCopies?: number;
  /**
   * Where accepted async events wait until delivered, so that a restart loses none (FC's async queue is
   * durable). Events that exhaust their retries move to `dead/`. Without it the queue lives in memory only.
   */
  queueDir?: string;
  now?: () => number;
}

interface QueuedEvent {
  id: string;
  functionName: string;
  /** The event exactly as the handler receives it (UTF-8 JSON). */
  payload: string;
  /** What the event is about, for the delivery log: an object key, a topic message id. */
  label: string;
  attempts: number;
  /** When FC accepted the event (epoch ms): `maxAsyncEventAgeInSeconds` counts from here. */
  acceptedAt?: number;
}

export interface DeliveryRecord {
  functionName: string;
  /** The object key of an OSS event, or `<topic>/<message id>` of a topic message. */
  key: string;
  attempts: number;
  ok: boolean;
  error?: string;
}

const MAX_HTTP_BODY = 32 * 1024 * 1024;
/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class FcRunner {
  private readonly functions = new Map<string, FunctionSpec>();
  private readonly keys = new Map<string, Promise<TemporaryKey>>();
  private readonly triggers: OssTrigger[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly deliveries: DeliveryRecord[] = [];
  private readonly retryDelaysMs: number[];
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: FcRunnerOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 400, 800];
    this.now = options.now ?? Date.now;
    if (options.queueDir) mkdirSync(path.join(options.queueDir, 'dead'), { recursive: true });
  }

  deploy(spec: FunctionSpec): void {
    this.functions.set(spec.name, spec);
  }

  addOssTrigger(trigger: OssTrigger): void {
    if (!this.functions.has(trigger.functionName)) throw new Error(`no function \`${trigger.functionName}\` for the OSS trigger`);
    this.triggers.push(trigger);
  }

  /** Called by the OSS emulator for every created object; each matching trigger gets an async invocation. */
  deliverOssEvent(record: FcOssEventRecord): void {
    for (const trigger of this.triggers) {
      if (!matchesTrigger(trigger, record)) continue;
      this.deliverAsync(trigger.functionName, JSON.stringify({ events: [record] }), record.oss.object.key);
    }
  }

  /**
   * Accepts one asynchronous invocation (any trigger): queued durably, delivered with FC's retries, and
   * `deliveryCopies` times, since every trigger delivers at least once.
   */
  deliverAsync(functionName: string, payload: string, label: string): void {
    if (!this.functions.has(functionName)) throw new Error(`no function \`${functionName}\``);
    const acceptedAt = this.now();
    for (let copy = 0; copy < (this.options.deliveryCopies ?? 1); copy++) this.enqueue({ id: randomUUID(), functionName, payload, label, attempts: 0, acceptedAt });
  }

  /** Delivers the events a previous run accepted but did not finish (call after deploying the functions). */
  resume(): number {
    if (!this.options.queueDir) return 0;
    const files = readdirSync(this.options.queueDir).filter((f) => f.endsWith('.json'));
    for (const file of files) {
      const queued = JSON.parse(readFileSync(path.join(this.options.queueDir, file), 'utf8')) as QueuedEvent | LegacyQueuedEvent;
      this.startDelivery('payload' in queued ? queued : fromLegacy(queued));
    }
    return files.length;
  }

  /** Stops delivering, as a crash would: queued events stay on disk for the next run's resume(). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * A timer trigger: at each firing, an asynchronous invocation with FC's timer event
   * `{"triggerTime","triggerName","payload"}` (alibabacloud.com/help/en/functioncompute/fc/user-guide/timer-trigger-overview).
   */
  addTimerTrigger(trigger: TimerTrigger): void {
    if (!this.functions.has(trigger.functionName)) throw new Error(`no function \`${trigger.functionName}\` for the timer trigger`);
    const arm = (at: number) => {
      if (!Number.isFinite(at) || this.stopped) return;
      const delay = at - this.now();
      // setTimeout takes at most 2^31-1 ms (about 24.8 days) and fires at once beyond it: a monthly cron waits in steps.
      const step = Math.min(Math.max(0, delay), MAX_TIMER_MS);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.stopped) return;
        if (at - this.now() > 0 && step === MAX_TIMER_MS) return arm(at);
        const event = { triggerTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'), triggerName: trigger.triggerName, payload: trigger.payload };
        this.deliverAsync(trigger.functionName, JSON.stringify(event), `timer/${trigger.triggerName}`);
        arm(trigger.next(at));
      }, step);
      // A schedule alone never keeps the process (or a test run) alive.
      timer.unref();
      this.timers.add(timer);
    };
    arm(trigger.next(this.now()));
  }

  private enqueue(queued: QueuedEvent): void {
    // Written before the delivery starts: once accepted, an event survives a restart.
    this.persist(queued);
    this.startDelivery(queued);
  }

  private startDelivery(queued: QueuedEvent): void {
    // Accepting is synchronous (the caller, e.g. OSS answering a PUT, may rely on it); running starts on the next
    // turn of the event loop, after the caller's own work, as an asynchronous invocation does.
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.deliverWithRetries(queued))
      .finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  private persist(queued: QueuedEvent): void {
    if (this.options.queueDir) writeFileSync(path.join(this.options.queueDir, `${queued.id}.json`), JSON.stringify(queued));
  }

  private unqueue(queued: QueuedEvent, dead: boolean): void {
    if (!this.options.queueDir) return;
    const file = path.join(this.options.queueDir, `${queued.id}.json`);
    if (dead) renameSync(file, path.join(this.options.queueDir, 'dead', `${queued.id}.json`));
    else rmSync(file, { force: true });
  }

  /** True while any async delivery (retries included) is unfinished. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves when every async event delivered so far (retries included) has finished, so tests never sleep. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Invokes a function once, as FC would: Buffer event, fresh request id, role credentials in the context. */
  async invoke(functionName: string, event: Buffer, retryCount = 0): Promise<unknown> {
    const spec = this.functions.get(functionName);
    if (!spec) throw new Error(`no function \`${functionName}\``);
    const credentials = await this.credentialsFor(spec);
    const requestId = `1-${randomUUID()}`;
    const context: FcContext = {
      requestId,
      credentials: { accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, securityToken: credentials.securityToken },
      function: { name: spec.name, handler: spec.handlerName ?? 'index.handler', memory: spec.memoryMb ?? 512, timeout: spec.timeoutSeconds ?? 60 },
      service: { qualifier: 'LATEST' },
      region: this.options.region,
      accountId: this.options.accountId,
      retryCount,
    };
    this.options.telemetry.countInvocation(functionName);
    return withTimeout(spec.handler(event, context), (spec.timeoutSeconds ?? 60) * 1000);
  }

  /** Serves a function's HTTP trigger: each request becomes a v1 event, each returned struct a response. */
  async startHttpTrigger(functionName: string, port: number, host = '127.0.0.1', trigger: HttpTriggerOptions = { authType: 'anonymous', methods: [] }): Promise<RunningServer> {
    const server = createServer((req, res) => {
      this.handleHttp(functionName, trigger, req, res).catch((error: unknown) => {
        if (!res.headersSent) writeJson(res, 502, { ErrorCode: 'UnhandledInvocationError', ErrorMessage: String((error as Error)?.message ?? error) });
        else res.destroy();
      });
    });
    return listen(server, port, host);
  }

  private async handleHttp(functionName: string, trigger: HttpTriggerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (trigger.methods.length > 0 && !trigger.methods.includes(req.method ?? '')) {
      // The trigger's `methods` list decides; the gateway answers before the function runs (status UNVERIFIED).
      req.resume();
      writeJson(res, 405, { ErrorCode: 'MethodNotAllowed', ErrorMessage: `the HTTP trigger accepts ${trigger.methods.join(', ')}, not ${req.method}` });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_HTTP_BODY);
    } catch {
      // FC's gateway refuses oversized bodies before the function runs.
      writeJson(res, 413, { ErrorCode: 'EntityTooLarge', ErrorMessage: `the request body exceeds ${MAX_HTTP_BODY} bytes` });
      return;
    }
    if (trigger.authType === 'function') {
      // Signature authentication happens at FC's gateway: "For requests that do not contain the Authorization field
      // or contain invalid signatures, Function Compute returns HTTP status code 403" (alibabacloud.com/help/doc-detail/148553.htm),
      // and the function is never invoked.
      const verdict = trigger.authenticate?.({ functionName, method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headersDistinct, body }) ?? { ok: false, code: 'AccessDenied', message: 'no signature verifier' };
      if (!verdict.ok) {
        writeJson(res, 403, { ErrorCode: verdict.code, ErrorMessage: verdict.message });
        return;
      }
    }
    const event = toHttpEvent(req, body, this.options.accountId, this.now());
    let result: unknown;
    try {
      result = await this.invoke(functionName, Buffer.from(JSON.stringify(event)));
    } catch (error) {
      writeJson(res, 502, { ErrorCode: 'UnhandledInvocationError', ErrorMessage: String((error as Error)?.message ?? error) });
      return;
    }
    writeFcResponse(res, result);
  }

  private async deliverWithRetries(queued: QueuedEvent): Promise<void> {
    const event = Buffer.from(queued.payload);
    const log: DeliveryRecord = { functionName: queued.functionName, key: queued.label, attempts: queued.attempts, ok: false };
    this.deliveries.push(log);
    const asyncInvoke = this.functions.get(queued.functionName)?.asyncInvoke;
    const maxRetries = asyncInvoke?.maxRetries ?? this.retryDelaysMs.length;
    while (queued.attempts <= maxRetries) {
      if (queued.attempts > 0) await sleep(this.retryDelay(queued.attempts));
      if (this.stopped) return;
      if (asyncInvoke && queued.acceptedAt !== undefined && this.now() - queued.acceptedAt > asyncInvoke.maxEventAgeSeconds * 1000) {
        // maxAsyncEventAgeInSeconds: FC drops an event it could not deliver in time.
        log.error = `dropped: older than maxAsyncEventAgeInSeconds (${asyncInvoke.maxEventAgeSeconds})`;
        break;
      }
      queued.attempts += 1;
      log.attempts = queued.attempts;
      this.persist(queued);
      try {
        await this.invoke(queued.functionName, event, queued.attempts - 1);
        if (this.stopped) return;
        log.ok = true;
        log.error = undefined;
        this.unqueue(queued, false);
        return;
      } catch (error) {
        if (this.stopped) return;
        log.error = String((error as Error)?.message ?? error);
      }
    }
    this.unqueue(queued, true);
  }

  /** Delay before retry n (1-based): the configured delays, doubling past the last one. */
  private retryDelay(retry: number): number {
    const delays = this.retryDelaysMs;
    if (delays.length === 0) return 0;
    return retry <= delays.length ? delays[retry - 1] : delays[delays.length - 1] * 2 ** (retry - delays.length);
  }

  /** FC keeps a role's keys for the function and renews them before they run out. */
  private async credentialsFor(spec: FunctionSpec): Promise<TemporaryKey> {
    const cached = this.keys.get(spec.name);
    if (cached) {
      const key = await cached.catch(() => undefined);
      if (key && (!key.expiration || key.expiration.getTime() - this.now() > 5 * 60 * 1000)) return key;
    }
    const fresh = this.options.assumeRole(spec.roleArn, `fc-${spec.name}`.slice(0, 64));
    this.keys.set(spec.name, fresh);
    fresh.catch(() => this.keys.delete(spec.name));
    return fresh;
  }
}

/** Queue files written before the queue carried any trigger's payload held one OSS record. */
interface LegacyQueuedEvent {
  id: string;
  functionName: string;
  record: FcOssEventRecord;
  attempts: number;
}

function fromLegacy(queued: LegacyQueuedEvent): QueuedEvent {
  return { id: queued.id, functionName: queued.functionName, payload: JSON.stringify({ events: [queued.record] }), label: queued.record.oss.object.key, attempts: queued.attempts };
}

export function matchesTrigger(trigger: OssTrigger, record: FcOssEventRecord): boolean {
  if (record.oss.bucket.name !== trigger.bucket) return false;
  const key = record.oss.object.key;
  if (!key.startsWith(trigger.prefix) || !key.endsWith(trigger.suffix)) return false;
  const name = `oss:${record.eventName}`;
  return trigger.events.some((pattern) => pattern === name || (pattern.endsWith(':*') && name.startsWith(pattern.slice(0, -1))));
}

function toHttpEvent(req: IncomingMessage, body: Buffer, accountId: string, now: number): FcHttpEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryParameters: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) queryParameters[name] = url.searchParams.getAll(name).join(',');
  const contentType = req.headers['content-type'] ?? '';
  const textual = body.length === 0 || /^(text\/|application\/(json|x-www-form-urlencoded|xml))/i.test(contentType);
  let path = url.pathname;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    // A malformed escape stays encoded; the function sees what was sent.
  }
  return {
    version: 'v1',
    rawPath: url.pathname,
    headers,
    queryParameters,
    body: textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !textual,
    requestContext: {
      accountId,
      domainName: `${req.headers.host ?? 'localhost'}`,
      domainPrefix: 'local',
      requestId: `1-${randomUUID()}`,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now),
      http: {
        method: req.method ?? 'GET',
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
    },
  };
}

function writeFcResponse(res: ServerResponse, result: unknown): void {
  if (Buffer.isBuffer(result)) {
    res.writeHead(200, { 'content-length': result.length });
    res.end(result);
    return;
  }
  const struct = result as Partial<FcHttpResponse> | null;
  if (struct && typeof struct === 'object' && typeof struct.statusCode === 'number') {
    const body = Buffer.from(struct.body ?? '', struct.isBase64Encoded ? 'base64' : 'utf8');
    res.writeHead(struct.statusCode, { ...(struct.headers ?? {}), 'content-length': body.length });
    res.end(body);
    return;
  }
  // FC turns any other object into JSON and anything else into a string.
  if (struct && typeof struct === 'object') writeJson(res, 200, struct);
  else {
    const text = Buffer.from(String(result ?? ''));
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': text.length });
    res.end(text);
  }
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length });
  res.end(text);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * FC ends an invocation at the function's timeout and reports it as failed ("Function timed out after N
 * seconds"; error handling: alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2). In one process the
 * handler cannot be frozen, so its promise is abandoned; the result it may still produce is ignored.
 */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // An abandoned handler that fails later must not surface as an unhandled rejection.
  work.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`Function timed out after ${timeoutMs / 1000} seconds`), { code: 'FunctionTimeout' })), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
