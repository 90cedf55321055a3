import { backoffDelay, withRetry } from '../../shared/retry';

const transient = Object.assign(new Error('busy'), { code: 'ServiceUnavailable', statusCode: 503 });
const permanent = Object.assign(new Error('denied'), { code: 'NoPermission', statusCode: 403 });

function harness(outcomes: unknown[], options: { deadline?: number; maxAttempts?: number } = {}) {
  let clock = 0;
  const delays: number[] = [];
  let calls = 0;
  const run = withRetry(
    async () => {
      const outcome = outcomes[Math.min(calls++, outcomes.length - 1)];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    {
      maxAttempts: options.maxAttempts ?? 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      deadline: options.deadline,
      isRetryable: (e) => (e as { statusCode?: number }).statusCode === 503,
      now: () => clock,
      sleep: async (ms) => {
        delays.push(ms);
        clock += ms;
      },
      random: () => 0.999,
    },
  );
  return { run, delays, calls: () => calls };
}

describe('backoffDelay', () => {
  it.each([
    [1, 99],
    [2, 199],
    [3, 399],
    [5, 999],
    [10, 999],
  ])('attempt %i waits below min(cap, base·2^(n-1)) with full jitter', (attempt, expected) => {
    // Act / Assess
    expect(backoffDelay(attempt, 100, 1000, () => 0.999)).toBe(expected);
    expect(backoffDelay(attempt, 100, 1000, () => 0)).toBe(0);
  });
});

describe('withRetry', () => {
  it('retries transient failures with growing delays until it succeeds', async () => {
    // Prepare
    const h = harness([transient, transient, 'ok']);
    // Act
    const result = await h.run;
    // Assess
    expect(result).toBe('ok');
    expect(h.calls()).toBe(3);
    expect(h.delays).toEqual([99, 199]);
  });

  it('fails fast on an error retrying cannot fix', async () => {
    // Prepare
    const h = harness([permanent, 'ok']);
    // Act / Assess
    await expect(h.run).rejects.toBe(permanent);
    expect(h.calls()).toBe(1);
  });

  it('gives up after maxAttempts', async () => {
    // Prepare
    const h = harness([transient], { maxAttempts: 3 });
    // Act / Assess
    await expect(h.run).rejects.toBe(transient);
    expect(h.calls()).toBe(3);
  });

  it('does not start a retry that would end after the deadline', async () => {
    // Prepare
    const h = harness([transient], { deadline: 250 });
    // Act / Assess
    await expect(h.run).rejects.toBe(transient);
    expect(h.delays).toEqual([99]);
    expect(h.calls()).toBe(2);
  });
});
