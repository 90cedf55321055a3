// The local FC's own rules, from s.yaml's props: the function timeout ends an invocation, asyncInvokeConfig
// decides how many retries an event gets and how old it may grow, and timer triggers fire on their schedule.
import { FcRunner } from '../../local/fc';
import { parseSchedule } from '../../local/schedule';
import { Telemetry } from '../../local/telemetry';
import type { FcContext } from '../../shared/fc/types';

function runnerWith(handler: (event: Buffer, context: FcContext) => Promise<unknown>, spec: { timeoutSeconds?: number; asyncInvoke?: { maxRetries: number; maxEventAgeSeconds: number } } = {}, now?: () => number) {
  const fc = new FcRunner({
    telemetry: new Telemetry(),
    region: 'cn-hangzhou',
    accountId: '1',
    retryDelaysMs: [1, 1, 1],
    now,
    assumeRole: async () => ({ accessKeyId: 'STS.fn', accessKeySecret: 'secret', securityToken: 'token', expiration: new Date(Date.now() + 3600_000) }),
  });
  fc.deploy({ name: 'f', roleArn: 'acs:ram::1:role/fn', handler, ...spec });
  return fc;
}

describe('local FC rules', () => {
  it('ends an invocation at the function timeout', async () => {
    // Prepare
    const fc = runnerWith(() => new Promise((resolve) => setTimeout(resolve, 300)), { timeoutSeconds: 0.05 });
    // Act
    const invocation = fc.invoke('f', Buffer.from('{}'));
    // Assess
    await expect(invocation).rejects.toMatchObject({ code: 'FunctionTimeout', message: 'Function timed out after 0.05 seconds' });
  });

  it('gives a failing event 1 + maxAsyncRetryAttempts attempts, then dead-letters it', async () => {
    // Prepare
    let attempts = 0;
    const fc = runnerWith(
      async () => {
        attempts += 1;
        throw new Error('boom');
      },
      { asyncInvoke: { maxRetries: 5, maxEventAgeSeconds: 3600 } },
    );
    // Act
    fc.deliverAsync('f', '{}', 'x');
    await fc.idle();
    // Assess
    expect(attempts).toBe(6);
    expect(fc.deliveries[0]).toMatchObject({ ok: false, attempts: 6 });
  });

  it('with maxAsyncRetryAttempts 0, tries once', async () => {
    // Prepare
    let attempts = 0;
    const fc = runnerWith(
      async () => {
        attempts += 1;
        throw new Error('boom');
      },
      { asyncInvoke: { maxRetries: 0, maxEventAgeSeconds: 3600 } },
    );
    // Act
    fc.deliverAsync('f', '{}', 'x');
    await fc.idle();
    // Assess
    expect(attempts).toBe(1);
  });

  it('drops an event older than maxAsyncEventAgeInSeconds instead of retrying it', async () => {
    // Prepare: every attempt moves the clock 10 s on; events may be 15 s old.
    let clock = 0;
    let attempts = 0;
    const fc = runnerWith(
      async () => {
        attempts += 1;
        clock += 10_000;
        throw new Error('boom');
      },
      { asyncInvoke: { maxRetries: 8, maxEventAgeSeconds: 15 } },
      () => clock,
    );
    // Act
    fc.deliverAsync('f', '{}', 'x');
    await fc.idle();
    // Assess
    expect(attempts).toBe(2);
    expect(fc.deliveries[0].error).toMatch(/older than maxAsyncEventAgeInSeconds/);
  });

  it('fires a timer trigger with FC\'s timer event', async () => {
    // Prepare
    const events: Record<string, string>[] = [];
    const fc = runnerWith(async (event) => void events.push(JSON.parse(event.toString())));
    // Act
    fc.addTimerTrigger({ functionName: 'f', triggerName: 'tick', next: parseSchedule('@every 1s').next, payload: '{"k":1}' });
    await new Promise((resolve) => setTimeout(resolve, 2300));
    fc.stop();
    // Assess
    expect(events.length).toBe(2);
    expect(events[0]).toEqual({ triggerTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/), triggerName: 'tick', payload: '{"k":1}' });
  });
});

describe('timer schedules', () => {
  it.each([
    ['@every 5m', 0, 300_000],
    ['@every 1h30m', 0, 5_400_000],
    ['0 0 4 * * *', Date.parse('2026-01-01T05:00:00Z'), Date.parse('2026-01-02T04:00:00Z')],
    ['0 */5 * * * *', Date.parse('2026-01-01T05:01:00Z'), Date.parse('2026-01-01T05:05:00Z')],
    ['CRON_TZ=Asia/Shanghai 0 0 4 * * *', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T20:00:00Z')],
  ])('%s fires next at the expected instant', (expression, after, expected) => {
    // Act / Assess
    expect(parseSchedule(expression).next(after)).toBe(expected);
  });

  it.each([
    ['@every 5', /@every <n>h\|m\|s/],
    ['@daily', /not a schedule/],
    ['0 */5 * * *', /6 fields/],
    ['61 * * * * *', /second/],
    ['@every 0s', /at least 1s/],
  ])('refuses %s with a message that says why', (expression, message) => {
    // Act / Assess
    expect(() => parseSchedule(expression)).toThrow(message);
  });
});
