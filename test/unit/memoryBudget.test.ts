// The offline IMM's MemoryBudget: the bytes it may hold at once, granted in arrival order, refused with IMM's
// LimitExceededError when they could never fit or did not free up in time.
import { ImmError } from '../../local/imm/errors';
import { MemoryBudget } from '../../local/imm/MemoryBudget';
import { immFailure } from '../helpers/immError';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('MemoryBudget', () => {
  it('grants what fits at once and gives it back on release, once', async () => {
    // Prepare
    const budget = new MemoryBudget({ capBytes: 100 });

    // Act
    const a = await budget.reserve(60, 'a');
    const b = await budget.reserve(40, 'b');
    const full = budget.inUse;
    a();
    a();

    // Assess
    expect(full).toBe(100);
    expect(budget.inUse).toBe(40);
    b();
    expect(budget.inUse).toBe(0);
  });

  it('queues what does not fit and grants in arrival order, so a large reservation is not starved by small ones', async () => {
    // Prepare
    const budget = new MemoryBudget({ capBytes: 100 });
    const first = await budget.reserve(70, 'first');
    const granted: string[] = [];
    const large = budget.reserve(80, 'large').then((release) => (granted.push('large'), release));
    const small = budget.reserve(10, 'small').then((release) => (granted.push('small'), release));
    await tick();
    const whileFull = [...granted];

    // Act
    first();
    const releaseLarge = await large;
    await tick();
    const afterFirst = [...granted];
    releaseLarge();
    (await small)();

    // Assess
    expect(whileFull).toEqual([]);
    expect(afterFirst).toEqual(['large', 'small']);
    expect(budget.inUse).toBe(0);
  });

  it('refuses at once what could never fit, with LimitExceededError', async () => {
    // Prepare
    const budget = new MemoryBudget({ capBytes: 100 });

    // Act
    const error = await immFailure(budget.reserve(101, 'reading `oss://b/k`'));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'LimitExceededError' });
    expect(error.message).toBe('Message: input quota exceed the max value: reading `oss://b/k` needs 101 bytes in memory, more than the 100 the local IMM holds at once');
  });

  it('refuses a reservation that waited too long, and lets the ones behind it through', async () => {
    // Prepare
    const budget = new MemoryBudget({ capBytes: 100, maxWaitMs: 20 });
    const held = await budget.reserve(50, 'held');
    const waiting = budget.reserve(60, 'late');
    const behind = budget.reserve(40, 'behind');

    // Act
    const error = await immFailure(waiting);
    const releaseBehind = await behind;

    // Assess
    expect(error).toBeInstanceOf(ImmError);
    expect(error).toMatchObject({ code: 'LimitExceededError', message: expect.stringContaining('late waited 20 ms for 60 bytes: the local IMM already holds 50 of its 100; retry later') });
    expect(budget.inUse).toBe(90);
    held();
    releaseBehind();
    expect(budget.inUse).toBe(0);
  });

  it('gives the bytes back when the work that held them fails', async () => {
    // Prepare
    const budget = new MemoryBudget({ capBytes: 100 });

    // Act
    const outcome = await budget.with(80, 'work', async () => Promise.reject(new Error('boom'))).catch((e: Error) => e.message);

    // Assess
    expect(outcome).toBe('boom');
    expect(budget.inUse).toBe(0);
  });
});
