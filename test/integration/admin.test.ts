// The admin endpoint refuses what a hostile web page could send through the user's browser: a request under a
// foreign Host name (DNS rebinding) and one without the admin key from stack.json.
import { request } from 'node:http';
import { startAdmin } from '../../local/admin';
import type { RunningServer } from '../../local/server';
import { Telemetry } from '../../local/telemetry';

const ADMIN_KEY = 'admin-key-for-this-test-0123456789';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; hint?: string }; rules?: unknown[] } & Record<string, unknown>;
}

/** node:http rather than fetch: fetch does not let a caller choose the Host header, a rebinding page's browser does. */
function call(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('admin endpoint', () => {
  let telemetry: Telemetry;
  let admin: RunningServer;
  let own: string;

  beforeAll(async () => {
    telemetry = new Telemetry();
    admin = await startAdmin({ telemetry, adminKey: ADMIN_KEY, port: 0 });
    own = `127.0.0.1:${admin.port}`;
  });
  afterAll(async () => {
    await admin.close();
  });

  it.each([
    ['a rebinding name', (port: number) => `attacker.example:${port}`],
    ['a rebinding name without port', () => 'attacker.example'],
    ['the loopback on another port', (port: number) => `127.0.0.1:${port + 1}`],
    ['a loopback look-alike', (port: number) => `127.0.0.1.attacker.example:${port}`],
  ])('answers 403 to %s in Host, even with the right key, and changes nothing', async (_name, host) => {
    // Prepare
    const headers = { host: host(admin.port), 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' };
    // Act
    const decisions = await call(admin.port, 'GET', '/decisions', headers);
    const faults = await call(admin.port, 'PUT', '/faults', headers, JSON.stringify({ rules: [{ service: 'oss', rate: 1 }] }));
    // Assess
    expect(decisions).toMatchObject({ status: 403, body: { error: { code: 'ForbiddenHost' } } });
    expect(faults).toMatchObject({ status: 403, body: { error: { code: 'ForbiddenHost' } } });
    expect(decisions.body.decisions).toBeUndefined();
    expect(telemetry.faults()).toEqual([]);
  });

  it.each([
    ['no key', {}],
    ['an empty key', { 'x-admin-key': '' }],
    ['a wrong key', { 'x-admin-key': 'admin-key-for-this-test-0123456788' }],
    ['a prefix of the key', { 'x-admin-key': ADMIN_KEY.slice(0, 10) }],
  ])('answers 401 to %s', async (_name, key: Record<string, string>) => {
    // Prepare
    const headers = { host: own, 'content-type': 'application/json', ...key };
    // Act
    const stats = await call(admin.port, 'GET', '/stats', headers);
    const faults = await call(admin.port, 'PUT', '/faults', headers, JSON.stringify({ rules: [{ service: 'oss', rate: 1 }] }));
    // Assess
    expect(stats).toMatchObject({ status: 401, body: { error: { code: 'Unauthorized', hint: expect.stringContaining('adminKey') } } });
    expect(faults.status).toBe(401);
    expect(telemetry.faults()).toEqual([]);
  });

  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]'])('answers 200 under Host %s with the port and the right key', async (name) => {
    // Prepare
    telemetry.countCall('oss', 'PutObject');
    const headers = { host: `${name}:${admin.port}`, 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' };
    // Act
    const stats = await call(admin.port, 'GET', '/stats', headers);
    const set = await call(admin.port, 'PUT', '/faults', headers, JSON.stringify({ rules: [] }));
    // Assess
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ calls: { 'oss:PutObject': expect.any(Number) } });
    expect(set).toEqual({ status: 200, body: { rules: [] } });
  });

  it('sets faults with the right key', async () => {
    // Prepare
    const headers = { host: own, 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' };
    // Act
    const set = await call(admin.port, 'PUT', '/faults', headers, JSON.stringify({ rules: [{ service: 'imm', action: 'DetectImageScore', rate: 0.5 }] }));
    // Assess
    expect(set.status).toBe(200);
    expect(telemetry.faults()).toEqual([expect.objectContaining({ service: 'imm', action: 'DetectImageScore', rate: 0.5, status: 503 })]);
    telemetry.setFaults([]);
  });
});
