// `GET /healthz?deep=1` on the local stack: the chain run inside the api with the function's own role.
import OSS from 'ali-oss';
import { partnerClient, startTestStack, type TestStack } from '../helpers/stack';

describe('deep health check', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const deep = (token: string | undefined = stack.info.apiToken) =>
    fetch(`${stack.info.endpoints.api}/healthz?deep=1`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('passes every link on a healthy stack and leaves nothing behind', async () => {
    // Act
    const response = await deep();
    const body = (await response.json()) as { ok: boolean; links: { name: string; ok: boolean }[] };
    await stack.quiescent();
    // Assess
    expect(response.status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.links.map((l) => [l.name, l.ok])).toEqual([
      ['assume-role', true],
      ['imm-project', true],
      ['probe-write', true],
      ['imm-reads-input', true],
      ['probe-delete', true],
    ]);
    const partner: OSS = partnerClient(stack.info);
    const listed = await partner.listV2({ prefix: '', 'max-keys': '1000' }, {});
    expect((listed.objects ?? []).map((o) => o.name)).toEqual([]);
  });

  it('stays shallow and public without deep, and needs the token with it', async () => {
    // Act
    const shallow = await fetch(`${stack.info.endpoints.api}/healthz`);
    const anonymous = await deep(null as unknown as undefined);
    const wrong = await deep('not-the-token');
    // Assess
    expect(shallow.status).toBe(200);
    expect(await shallow.json()).toEqual({ status: 'ok' });
    expect(anonymous.status).toBe(401);
    expect(wrong.status).toBe(401);
  });

  it('marks only the assume-role link (and skips what needs it) with a wrong ExternalId, with a fix', async () => {
    // Prepare
    stack.redeploy({ IMM_ROLE_EXTERNAL_ID: 'x-wrong' });
    try {
      // Act
      const response = await deep();
      const body = (await response.json()) as { ok: boolean; links: { name: string; ok: boolean; skipped?: boolean; fix?: string }[] };
      // Assess
      expect(response.status).toBe(503);
      expect(body.links.filter((l) => !l.ok && !l.skipped).map((l) => l.name)).toEqual(['assume-role']);
      expect(body.links[0].fix).toMatch(/ExternalId/);
    } finally {
      stack.redeploy();
    }
  });
});
