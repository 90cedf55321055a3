// The admin endpoint of the local stack: call counters, fault injection and recent authorization
// decisions (DESIGN §3.4).
import { createServer, type ServerResponse } from 'node:http';
import { listen, readBody, type RunningServer } from './server';
import type { FaultRule, Telemetry } from './telemetry';

export async function startAdmin(telemetry: Telemetry, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    try {
      if (req.method === 'GET' && path === '/stats') return json(res, 200, telemetry.stats());
      if (req.method === 'GET' && path === '/decisions') return json(res, 200, { decisions: telemetry.recentDecisions() });
      if (req.method === 'GET' && path === '/faults') return json(res, 200, { rules: telemetry.faults() });
      if (req.method === 'PUT' && path === '/faults') {
        const rules = parseRules(JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8') || '{}'));
        telemetry.setFaults(rules);
        return json(res, 200, { rules });
      }
      return json(res, 404, { error: { code: 'NotFound', message: `no admin route \`${req.method} ${path}\``, hint: 'GET /stats, GET /decisions, GET|PUT /faults' } });
    } catch (error) {
      return json(res, 400, { error: { code: 'BadRequest', message: (error as Error).message } });
    }
  });
  return listen(server, port, host);
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

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length });
  res.end(text);
}
