import { CredentialsProvider, roleSessionName, type AssumeRoleInput, type Credentials } from '../../shared/credentials';
import { ForbiddenError, UpstreamError } from '../../shared/errors';

const base: Credentials = { accessKeyId: 'STS.fn', accessKeySecret: 'fn-secret', securityToken: 'fn-token' };
const roleArn = 'acs:ram::2000000000000002:role/imm-bridge-operator';

function fakeSts(now: () => number, lifetimeMs = 3600_000) {
  const calls: AssumeRoleInput[] = [];
  let n = 0;
  const assumeRole = async (_base: Credentials, input: AssumeRoleInput): Promise<Credentials> => {
    calls.push(input);
    await new Promise((r) => setImmediate(r));
    n += 1;
    return { accessKeyId: `STS.op${n}`, accessKeySecret: 's', securityToken: 't', expiration: new Date(now() + lifetimeMs) };
  };
  return { calls, assumeRole };
}

describe('roleSessionName', () => {
  it.each([
    ['imm-bridge-on-upload', '1-6543-abc', 'imm-bridge-on-upload.1-6543-abc'],
    ['fn with spaces', 'id/with:odd*chars', 'fn-with-spaces.id-with-odd-chars'],
    [undefined, undefined, 'imm-bridge.local'],
  ])('derives a valid name from %p and %p', (fn, id, expected) => {
    // Act
    const name = roleSessionName(fn, id);
    // Assess
    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Za-z0-9.@_-]{2,64}$/);
  });

  it('truncates to 64 characters', () => {
    // Act / Assess
    expect(roleSessionName('f'.repeat(50), 'r'.repeat(50))).toHaveLength(64);
  });
});

describe('CredentialsProvider', () => {
  it('shares one in-flight AssumeRole among 100 concurrent callers and sends ExternalId', async () => {
    // Prepare
    let clock = 1_000_000;
    const sts = fakeSts(() => clock);
    const provider = new CredentialsProvider({ roleArn, externalId: 'ext-1', sessionPolicy: '{"Version":"1"}', durationSeconds: 900, assumeRole: sts.assumeRole, now: () => clock });
    // Act
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => provider.get(base, { functionName: 'fn', requestId: `r${i}` })));
    // Assess
    expect(sts.calls).toHaveLength(1);
    expect(sts.calls[0]).toEqual({ roleArn, roleSessionName: 'fn.r0', durationSeconds: 900, externalId: 'ext-1', policy: '{"Version":"1"}' });
    expect(new Set(results.map((c) => c.accessKeyId))).toEqual(new Set(['STS.op1']));
  });

  it('reuses cached credentials until 5 minutes before expiry, then refreshes', async () => {
    // Prepare
    let clock = 0;
    const sts = fakeSts(() => clock, 3600_000);
    const provider = new CredentialsProvider({ roleArn, durationSeconds: 3600, assumeRole: sts.assumeRole, now: () => clock });
    await provider.get(base, {});
    // Act
    clock = 3600_000 - 5 * 60_000 - 1;
    const stillCached = await provider.get(base, {});
    clock = 3600_000 - 5 * 60_000;
    const refreshed = await provider.get(base, {});
    // Assess
    expect(stillCached.accessKeyId).toBe('STS.op1');
    expect(refreshed.accessKeyId).toBe('STS.op2');
    expect(sts.calls).toHaveLength(2);
  });

  it('never caches a failure', async () => {
    // Prepare
    let fail = true;
    let calls = 0;
    const provider = new CredentialsProvider({
      roleArn,
      durationSeconds: 3600,
      assumeRole: async () => {
        calls += 1;
        if (fail) throw Object.assign(new Error('NoPermission: denied'), { code: 'NoPermission', statusCode: 403, data: { Message: 'No permission perform sts:AssumeRole on this Role.' } });
        return { accessKeyId: 'STS.ok', accessKeySecret: 's', securityToken: 't' };
      },
    });
    // Act
    const first = await provider.get(base, {}).catch((e: unknown) => e);
    fail = false;
    const second = await provider.get(base, {});
    // Assess
    expect(first).toBeInstanceOf(ForbiddenError);
    expect((first as ForbiddenError).code).toBe('AssumeRoleDenied');
    expect((first as ForbiddenError).hint).toContain('trust policy');
    expect(second.accessKeyId).toBe('STS.ok');
    expect(calls).toBe(2);
  });

  it('retries a throttled AssumeRole with backoff, then succeeds', async () => {
    // Prepare
    let calls = 0;
    const delays: number[] = [];
    const provider = new CredentialsProvider({
      roleArn,
      durationSeconds: 3600,
      retry: { sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
      assumeRole: async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('Throttling.User'), { code: 'Throttling.User', statusCode: 400 });
        return { accessKeyId: 'STS.ok', accessKeySecret: 's', securityToken: 't' };
      },
    });
    // Act
    const creds = await provider.get(base, {});
    // Assess
    expect(creds.accessKeyId).toBe('STS.ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('maps throttling that outlasts the retries to a retryable upstream error', async () => {
    // Prepare
    const provider = new CredentialsProvider({
      roleArn,
      durationSeconds: 3600,
      retry: { sleep: async () => undefined },
      assumeRole: async () => {
        throw Object.assign(new Error('Throttling.User'), { code: 'Throttling.User', statusCode: 400 });
      },
    });
    // Act
    const error = await provider.get(base, {}).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).retryable).toBe(true);
  });

  it('uses the function credentials when no role is configured', async () => {
    // Prepare
    const provider = new CredentialsProvider({ durationSeconds: 3600, assumeRole: async () => Promise.reject(new Error('must not be called')) });
    // Act
    const creds = await provider.get(base, {});
    // Assess
    expect(creds).toBe(base);
  });
});
