// The admin endpoint of the local stack: call counters, fault injection and recent authorization
// decisions (DESIGN §3.4).
//
// It answers only requests that prove they come from this machine's user:
// - the Host header must name the loopback with the admin port (`127.0.0.1:P`, `localhost:P` or `[::1]:P`),
//   so a web page whose own name resolves to 127.0.0.1 (DNS rebinding) is refused with 403;
// - the `x-admin-key` header must hold the random key the stack wrote to stack.json (`adminKey`, mode 0600),
//   which a browser page cannot read, else 401.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, readBody, type RunningServer } from './server';
import type { FaultRule, Telemetry } from './telemetry';

/** The request header that carries stack.json's `adminKey`. */
export const ADMIN_KEY_HEADER = 'x-admin-key';

export interface AdminOptions {
  telemetry: Telemetry;
  /** The secret every request must send in `x-admin-key`. */
  adminKey: string;
  port: number;
  host?: string;
}

export async function startAdmin(options: AdminOptions): Promise<RunningServer> {
  const { telemetry } = options;
  const expectedKey = digest(options.adminKey);
  // The port is known once listening (port 0 picks one); until then every request is refused.
  let allowedHosts = new Set<string>();
  let port = 0;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    try {
      if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
        return fail(res, 403, 'ForbiddenHost', `host \`${req.headers.host ?? ''}\` is not this admin endpoint`, `call \`http://127.0.0.1:${port}\` (or localhost, [::1]) directly: the endpoint answers only its loopback address`);
      }
      if (!keyMatches(req, expectedKey)) {
        return fail(res, 401, 'Unauthorized', `missing or wrong \`${ADMIN_KEY_HEADER}\` header`, `send \`${ADMIN_KEY_HEADER}\` with stack.json's \`adminKey\``);
      }
      if (req.method === 'GET' && path === '/stats') return json(res, 200, telemetry.stats());
      if (req.method === 'GET' && path === '/decisions') return json(res, 200, { decisions: telemetry.recentDecisions() });
      if (req.method === 'GET' && path === '/faults') return json(res, 200, { rules: telemetry.faults() });
      if (req.method === 'PUT' && path === '/faults') {
        const rules = parseRules(JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8') || '{}'));
        telemetry.setFaults(rules);
        return json(res, 200, { rules });
      }
      return fail(res, 404, 'NotFound', `no admin route \`${req.method} ${path}\``, 'GET /stats, GET /decisions, GET|PUT /faults');
    } catch (error) {
      return fail(res, 400, 'BadRequest', (error as Error).message);
    }
  });
  const running = await listen(server, options.port, options.host ?? '127.0.0.1');
  port = running.port;
  allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${port}`));
  return running;
}

/** Constant-time: both sides are hashed to the same length first, so neither the length nor a prefix leaks. */
function keyMatches(req: IncomingMessage, expected: Buffer): boolean {
  const sent = req.headers[ADMIN_KEY_HEADER];
  if (typeof sent !== 'string' || sent === '') return false;
  return timingSafeEqual(digest(sent), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function parseRules(body: unknown): FaultRule[] {
  const rules = (body as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) throw new Error('body must be `{"rules":[…]}`');
  return rules.map((raw, i) => {
    const r = raw as Partial<FaultRule>;
    const where = `rules[${i}]`;
    if (typeof r.service !== 'string' || !['oss', 'sts', 'imm', 'mns'].includes(r.service)) throw new Error(`${where}.service must be \`oss\`, \`sts\`, \`imm\` or \`mns\` (action \`Push\`: drops MNS HTTP pushes)`);
    if (r.action !== undefined && typeof r.action !== 'string') throw new Error(`${where}.action must be a string`);
    const rate = r.rate ?? 1;
    if (typeof rate !== 'number' || rate < 0 || rate > 1) throw new Error(`${where}.rate must be a number in [0, 1]`);
    const status = r.status ?? 503;
    if (!Number.isInteger(status) || (status !== 0 && (status < 400 || status > 599))) throw new Error(`${where}.status must be 0 (latency only) or an HTTP error status`);
    const latencyMs = r.latencyMs ?? 0;
    if (typeof latencyMs !== 'number' || latencyMs < 0 || latencyMs > 60_000) throw new Error(`${where}.latencyMs must be in [0, 60000]`);
    return { service: r.service, action: r.action, rate, status, code: typeof r.code === 'string' ? r.code : 'ServiceUnavailable', latencyMs, message: r.message };
  });
}

function fail(res: ServerResponse, status: number, code: string, message: string, hint?: string): void {
  json(res, status, { error: { code, message, ...(hint && { hint }) } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length });
  res.end(text);
}
