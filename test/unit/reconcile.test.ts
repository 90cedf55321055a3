// The reconciler in isolation: an in-memory bucket (sidecars, claims, markers and sources under their real keys),
// a fake IMM, and one test per branch of shared/reconcile.ts, plus what a run costs.
import { createHandler } from '../../functions/reconcile';
import { loadConfig } from '../../shared/config';
import { NotFoundError, UpstreamError } from '../../shared/errors';
import { parseTimerEvent } from '../../shared/fc/timerEvent';
import type { FcContext } from '../../shared/fc/types';
import type { ImmClient, TaskInfo } from '../../shared/imm';
import { createLogger } from '../../shared/log';
import { normalizeETag, parsePendingKey, pendingKey, type Claim, type Sidecar } from '../../shared/oss';
import { reconcile } from '../../shared/reconcile';
import type { Invocation, Runtime } from '../../shared/runtime';
import { fakeImm } from '../helpers/fakeImm';
import { memoryStore, type MemoryStore } from '../helpers/memoryStore';

const BUCKET = 'test-bucket-2024';
const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const log = createLogger({}, { write: () => undefined }, 'silent');

function runtimeWith(imm: Partial<ImmClient>, env: Record<string, string> = {}): Runtime {
  return {
    config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: BUCKET, ...env }),
    log,
    imm: async () => fakeImm(imm),
  };
}

const invocation = (deadline: number | undefined = NOW + 57_000): Invocation => ({ requestId: 'req-r', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's' }, log, deadline });

/** An accepted upload: the source object and its pending marker. */
function accepted(store: MemoryStore, key: string, eTag: string, bucket = BUCKET): void {
  store.putSource(bucket, key, eTag);
  store.setPending({ bucket, key, eTag, since: iso(NOW - 3_600_000) });
}

const submittedSidecar = (key: string, eTag: string, processedAt: number): Sidecar => ({
  source: `oss://${BUCKET}/${key}`,
  operation: 'CreateMediaConvertTask',
  status: 'submitted',
  taskId: `MediaConvert-${eTag}`,
  taskType: 'MediaConvert',
  target: `oss://${BUCKET}/converted/${key}.mp4`,
  eTag,
  processedAt: iso(processedAt),
});

const taskOf = (key: string, eTag: string, fields: Partial<TaskInfo>): TaskInfo => ({
  taskId: `MediaConvert-${eTag}`,
  taskType: 'MediaConvert',
  status: 'Succeeded',
  userData: JSON.stringify({ source: `oss://${BUCKET}/${key}`, eTag }),
  ...fields,
});

/** A fake IMM that records every call. */
function recordingImm(getTask: (taskId: string) => Promise<TaskInfo> = async () => { throw new Error('no task expected'); }) {
  const calls: string[] = [];
  const imm: Partial<ImmClient> = {
    detectImageScore: async ({ sourceUri }) => {
      calls.push(`DetectImageScore ${sourceUri}`);
      return { score: 0.6, requestId: 'R' };
    },
    getTask: async ({ taskId }) => {
      calls.push(`GetTask ${taskId}`);
      return getTask(taskId);
    },
  };
  return { imm, calls };
}

describe('pending marker keys', () => {
  it.each([
    ['incoming/a.jpg', '688A7BF4F233DC9C88A80BF985AB7329'],
    ['incoming/dir.v2/clip.final.mp4', '3A1B-12'],
  ])('round-trip %s at %s', (key, eTag) => {
    // Act
    const marker = pendingKey('results/', key, eTag);
    // Assess
    expect(marker).toBe(`results/_pending/${key}.${eTag}.json`);
    expect(parsePendingKey('results/', marker)).toEqual({ sourceKey: key, eTag });
  });

  it.each(['results/_pending/incoming/a.jpg.json.bak', 'results/_pending/noetag', 'results/incoming/a.jpg.json'])('refuses %s', (key) => {
    // Act / Assess
    expect(parsePendingKey('results/', key)).toBeUndefined();
  });

  it('compares ETags as OSS writes them in headers (quoted) and in events (bare)', () => {
    // Act / Assess
    expect(normalizeETag('"5b3c1a2e-2"')).toBe('5B3C1A2E-2');
    expect(normalizeETag('W/"ABC"')).toBe('ABC');
  });
});

describe('reconcile', () => {
  it('deletes the marker of a version whose sidecar is final, without asking IMM or OSS about the object', async () => {
    // Prepare
    const store = memoryStore();
    const { imm, calls } = recordingImm();
    for (const [key, status] of [['incoming/a.jpg', 'succeeded'], ['incoming/b.pdf', 'failed'], ['incoming/c.bin', 'skipped']] as const) {
      accepted(store, key, 'E1');
      store.setSidecar(BUCKET, key, { source: `oss://${BUCKET}/${key}`, operation: 'x', status, eTag: 'E1', processedAt: iso(NOW) });
    }
    // Act
    const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
    // Assess
    expect(summary).toEqual({ listed: 3, settled: 0, redriven: 0, dropped: 3, left: 0, errors: 0 });
    expect(store.pendingKeys()).toEqual([]);
    expect(calls).toEqual([]);
    expect(store.calls.filter((c) => c.op === 'head' || c.op === 'readClaim')).toEqual([]);
  });

  describe('a submitted task', () => {
    it('is left alone while younger than RECONCILE_SUBMITTED_AFTER_SECONDS (its notification may still come)', async () => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm();
      accepted(store, 'incoming/v.mp4', 'E1');
      store.setSidecar(BUCKET, 'incoming/v.mp4', submittedSidecar('incoming/v.mp4', 'E1', NOW - 599_000));
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ listed: 1, left: 1 });
      expect(calls).toEqual([]);
      expect(store.pendingKeys()).toHaveLength(1);
    });

    it.each([
      ['Succeeded', {}, 'succeeded'],
      ['Failed', { code: 'InvalidMedia', message: 'not a video' }, 'failed'],
    ] as const)('is settled from GetTask once older than the wait: %s', async (status, fields, expected) => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm(async () => taskOf('incoming/v.mp4', 'E1', { status, ...fields }));
      accepted(store, 'incoming/v.mp4', 'E1');
      store.setSidecar(BUCKET, 'incoming/v.mp4', submittedSidecar('incoming/v.mp4', 'E1', NOW - 601_000));
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ listed: 1, settled: 1 });
      expect(calls).toEqual(['GetTask MediaConvert-E1']);
      expect(store.sidecar(BUCKET, 'incoming/v.mp4')).toMatchObject({ status: expected, taskId: 'MediaConvert-E1', submittedAt: iso(NOW - 601_000) });
      expect(store.pendingKeys()).toEqual([]);
    });

    it('is left with its marker while IMM still runs the task', async () => {
      // Prepare
      const store = memoryStore();
      const { imm } = recordingImm(async () => taskOf('incoming/v.mp4', 'E1', { status: 'Running' }));
      accepted(store, 'incoming/v.mp4', 'E1');
      store.setSidecar(BUCKET, 'incoming/v.mp4', submittedSidecar('incoming/v.mp4', 'E1', NOW - 3_600_000));
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ left: 1, settled: 0 });
      expect(store.sidecar(BUCKET, 'incoming/v.mp4')?.status).toBe('submitted');
      expect(store.pendingKeys()).toHaveLength(1);
    });

    it('is marked failed with TaskOutcomeUnknown when IMM no longer knows the task, so it is not asked about forever', async () => {
      // Prepare
      const store = memoryStore();
      const { imm } = recordingImm(async () => {
        throw new NotFoundError('TaskNotFound', 'no such task');
      });
      accepted(store, 'incoming/v.mp4', 'E1');
      store.setSidecar(BUCKET, 'incoming/v.mp4', submittedSidecar('incoming/v.mp4', 'E1', NOW - 3_600_000));
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ settled: 1 });
      expect(store.sidecar(BUCKET, 'incoming/v.mp4')).toMatchObject({ status: 'failed', error: { code: 'TaskOutcomeUnknown', hint: expect.stringContaining('upload the object again') } });
      expect(store.pendingKeys()).toEqual([]);
    });
  });

  describe('a version without its sidecar', () => {
    it('is left alone while an attempt holds a live claim, without a HEAD', async () => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm();
      accepted(store, 'incoming/a.jpg', 'E1');
      store.setClaim(BUCKET, 'incoming/a.jpg', { eTag: 'E1', state: 'running', claimedAt: iso(NOW - 1000), expiresAt: iso(NOW + 30_000) });
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ listed: 1, left: 1 });
      expect(calls).toEqual([]);
      expect(store.calls.some((c) => c.op === 'head')).toBe(false);
      expect(store.pendingKeys()).toHaveLength(1);
    });

    it.each<[string, Claim | undefined]>([
      ['an expired claim (the attempt crashed; FC gave up on its event)', { eTag: 'E1', state: 'running', claimedAt: iso(NOW - 120_000), expiresAt: iso(NOW - 60_000) }],
      ['a released claim', { eTag: 'E1', state: 'released', claimedAt: iso(NOW - 120_000), expiresAt: iso(NOW - 120_000) }],
      ['no claim at all (the attempt died before claiming)', undefined],
    ])('is re-driven with exactly one IMM call after %s', async (_name, claim) => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm();
      accepted(store, 'incoming/a.jpg', 'E1');
      if (claim) store.setClaim(BUCKET, 'incoming/a.jpg', claim);
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      const again = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ listed: 1, redriven: 1 });
      expect(again.listed).toBe(0);
      expect(calls).toEqual([`DetectImageScore oss://${BUCKET}/incoming/a.jpg`]);
      expect(store.sidecar(BUCKET, 'incoming/a.jpg')).toMatchObject({ status: 'succeeded', score: 0.6, eTag: 'E1' });
      expect(store.claim(BUCKET, 'incoming/a.jpg', 'E1')?.state).toBe('done');
      expect(store.pendingKeys()).toEqual([]);
    });

    it('is re-driven when the sidecar is an older version\'s', async () => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm();
      accepted(store, 'incoming/a.jpg', 'E2');
      store.setSidecar(BUCKET, 'incoming/a.jpg', { source: `oss://${BUCKET}/incoming/a.jpg`, operation: 'DetectImageScore', status: 'succeeded', score: 0.1, eTag: 'E1', processedAt: iso(NOW - 9e6) });
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ redriven: 1 });
      expect(calls).toHaveLength(1);
      expect(store.sidecar(BUCKET, 'incoming/a.jpg')).toMatchObject({ eTag: 'E2', score: 0.6 });
    });

    it.each([
      ['deleted', undefined],
      ['overwritten (another eTag)', 'E9'],
    ])('is dropped when the object was %s, without an IMM call', async (_name, currentETag) => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm();
      store.setPending({ bucket: BUCKET, key: 'incoming/a.jpg', eTag: 'E1', since: iso(NOW) });
      if (currentETag) store.putSource(BUCKET, 'incoming/a.jpg', currentETag);
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ listed: 1, dropped: 1 });
      expect(calls).toEqual([]);
      expect(store.pendingKeys()).toEqual([]);
    });

    it('is dropped when its claim says done: the version was processed, its sidecar replaced since', async () => {
      // Prepare
      const store = memoryStore();
      const { imm, calls } = recordingImm();
      accepted(store, 'incoming/a.jpg', 'E1');
      store.setClaim(BUCKET, 'incoming/a.jpg', { eTag: 'E1', state: 'done', claimedAt: iso(NOW - 9e6) });
      // Act
      const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
      // Assess
      expect(summary).toMatchObject({ dropped: 1 });
      expect(calls).toEqual([]);
      expect(store.pendingKeys()).toEqual([]);
    });
  });

  it('with 1,000 settled sidecars and 3 pending markers, a run reads only the 3 markers\' objects', async () => {
    // Prepare
    const store = memoryStore();
    const { imm } = recordingImm(async () => taskOf('incoming/p/v.mp4', 'E1', {}));
    for (let i = 0; i < 1000; i++) {
      const key = `incoming/done/${i}.jpg`;
      store.putSource(BUCKET, key, 'D');
      store.setSidecar(BUCKET, key, { source: `oss://${BUCKET}/${key}`, operation: 'DetectImageScore', status: 'succeeded', score: 0.5, eTag: 'D', processedAt: iso(NOW) });
      store.setClaim(BUCKET, key, { eTag: 'D', state: 'done', claimedAt: iso(NOW) });
    }
    accepted(store, 'incoming/p/a.jpg', 'E1');
    accepted(store, 'incoming/p/b.jpg', 'E1');
    store.setSidecar(BUCKET, 'incoming/p/b.jpg', { source: `oss://${BUCKET}/incoming/p/b.jpg`, operation: 'DetectImageScore', status: 'succeeded', score: 0.5, eTag: 'E1', processedAt: iso(NOW) });
    accepted(store, 'incoming/p/v.mp4', 'E1');
    store.setSidecar(BUCKET, 'incoming/p/v.mp4', submittedSidecar('incoming/p/v.mp4', 'E1', NOW - 3_600_000));
    store.calls.length = 0;
    // Act
    const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
    // Assess
    expect(summary).toEqual({ listed: 3, settled: 1, redriven: 1, dropped: 1, left: 0, errors: 0 });
    expect(store.calls.filter((c) => c.op === 'listPage')).toEqual([{ op: 'listPage', bucket: BUCKET, key: 'results/_pending/' }]);
    const touched = new Set(store.calls.filter((c) => c.op !== 'listPage').map((c) => c.key.replace(/^results\/(_pending\/)?/, '').replace(/\.(E1\.)?(json|claim)$/, '')));
    expect([...touched].sort()).toEqual(['incoming/p/a.jpg', 'incoming/p/b.jpg', 'incoming/p/v.mp4']);
    expect(store.calls.length).toBeLessThanOrEqual(20);
  });

  it('examines at most RECONCILE_MAX_MARKERS markers a run, paging through the listing', async () => {
    // Prepare
    const store = memoryStore();
    const { imm } = recordingImm();
    for (let i = 0; i < 1200; i++) {
      const key = `incoming/${String(i).padStart(4, '0')}.jpg`;
      accepted(store, key, 'E1');
      store.setSidecar(BUCKET, key, { source: `oss://${BUCKET}/${key}`, operation: 'DetectImageScore', status: 'succeeded', eTag: 'E1', processedAt: iso(NOW) });
    }
    // Act
    const first = await reconcile(runtimeWith(imm, { RECONCILE_MAX_MARKERS: '1100' }), invocation(), store, { now: () => NOW });
    const listings = store.calls.filter((c) => c.op === 'listPage').length;
    const second = await reconcile(runtimeWith(imm, { RECONCILE_MAX_MARKERS: '1100' }), invocation(), store, { now: () => NOW });
    // Assess
    expect([first.listed, first.dropped, listings]).toEqual([1100, 1100, 2]);
    expect([second.listed, second.dropped]).toEqual([100, 100]);
    expect(store.pendingKeys()).toEqual([]);
  });

  it('works through markers with bounded concurrency (BATCH_CONCURRENCY)', async () => {
    // Prepare
    const store = memoryStore();
    let running = 0;
    let peak = 0;
    const imm: Partial<ImmClient> = {
      getTask: async ({ taskId }) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        const key = `incoming/${taskId.slice('MediaConvert-'.length)}.mp4`;
        return { ...taskOf(key, 'E1', {}), taskId };
      },
    };
    for (let i = 0; i < 12; i++) {
      const key = `incoming/${i}.mp4`;
      accepted(store, key, 'E1');
      store.setSidecar(BUCKET, key, { ...submittedSidecar(key, 'E1', NOW - 3_600_000), taskId: `MediaConvert-${i}` });
    }
    // Act
    const summary = await reconcile(runtimeWith(imm, { BATCH_CONCURRENCY: '3' }), invocation(), store, { now: () => NOW });
    // Assess
    expect(summary.settled).toBe(12);
    expect(peak).toBe(3);
  });

  it('starts no marker within 5 s of the invocation deadline, and leaves the rest for the next run', async () => {
    // Prepare
    const store = memoryStore();
    let clock = NOW;
    const imm: Partial<ImmClient> = {
      detectImageScore: async () => {
        clock += 40_000; // a slow IMM call eats the invocation's time
        return { score: 0.5, requestId: 'R' };
      },
    };
    for (const key of ['incoming/1.jpg', 'incoming/2.jpg', 'incoming/3.jpg']) accepted(store, key, 'E1');
    // Act
    const late = await reconcile(runtimeWith(imm), invocation(NOW + 4000), store, { now: () => clock });
    const summary = await reconcile(runtimeWith(imm, { BATCH_CONCURRENCY: '1' }), invocation(NOW + 40_000), store, { now: () => clock });
    // Assess
    expect(late.listed).toBe(0);
    expect(summary).toMatchObject({ listed: 3, redriven: 1, left: 2 });
    expect(store.pendingKeys()).toHaveLength(2);
  });

  it('counts a marker that fails as an error and goes on; a bucket it cannot list fails the run after the others are done', async () => {
    // Prepare
    const store = memoryStore();
    const { imm } = recordingImm();
    accepted(store, 'incoming/a.jpg', 'E1', 'bucket-b');
    accepted(store, 'incoming/broken.jpg', 'E1', 'bucket-b');
    const read = store.read;
    store.read = async (bucket, key) => {
      if (key.includes('broken')) throw new UpstreamError('OssUnavailable', 'OSS 503', 503);
      return read(bucket, key);
    };
    const listPage = store.listPage;
    store.listPage = async (bucket, prefix, page) => {
      if (bucket === 'bucket-a') throw new UpstreamError('OssAccessDenied', 'denied', 502);
      return listPage(bucket, prefix, page);
    };
    const runtime = runtimeWith(imm, { ALLOWED_BUCKETS: 'bucket-a,bucket-b' });
    // Act
    const run = reconcile(runtime, invocation(), store, { now: () => NOW });
    // Assess
    await expect(run).rejects.toMatchObject({ code: 'OssAccessDenied' });
    expect(store.sidecar('bucket-b', 'incoming/a.jpg')?.status).toBe('succeeded');
    expect(store.pendingKeys('bucket-b')).toEqual(['results/_pending/incoming/broken.jpg.E1.json']);
  });

  it('leaves a key under the pending prefix that is no marker alone', async () => {
    // Prepare
    const store = memoryStore();
    const { imm } = recordingImm();
    store.objects.set(`${BUCKET}/results/_pending/README.txt`, 'not ours');
    // Act
    const summary = await reconcile(runtimeWith(imm), invocation(), store, { now: () => NOW });
    // Assess
    expect(summary).toMatchObject({ listed: 1, left: 1 });
    expect(store.objects.has(`${BUCKET}/results/_pending/README.txt`)).toBe(true);
  });
});

describe('reconcile handler', () => {
  const context: FcContext = { requestId: 'req-t', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's', securityToken: 't' }, function: { name: 'reconcile', timeout: 60 } };

  it.each([
    ['a timer trigger event', Buffer.from(JSON.stringify({ triggerTime: '2026-12-02T12:00:00Z', triggerName: 'reconcile', payload: '' }))],
    ['a manual invocation with an empty event', Buffer.from('')],
  ])('runs a reconcile for %s and returns its summary', async (_name, event) => {
    // Prepare
    const store = memoryStore();
    const { imm, calls } = recordingImm();
    store.putSource(BUCKET, 'incoming/a.jpg', 'E1');
    store.setPending({ bucket: BUCKET, key: 'incoming/a.jpg', eTag: 'E1', since: iso(Date.now()) });
    // Act
    const summary = await createHandler({ runtime: runtimeWith(imm), sidecars: () => store })(event, context);
    // Assess
    expect(summary).toEqual({ listed: 1, settled: 0, redriven: 1, dropped: 0, left: 0, errors: 0 });
    expect(calls).toHaveLength(1);
  });
});

describe('parseTimerEvent', () => {
  it('reads FC\'s timer event (triggerTime, triggerName, payload)', () => {
    // Act
    const event = parseTimerEvent(Buffer.from('{"triggerTime":"2018-02-09T05:49:00Z","triggerName":"timer-trigger","payload":"awesome-fc"}'));
    // Assess
    expect(event).toEqual({ triggerTime: '2018-02-09T05:49:00Z', triggerName: 'timer-trigger', payload: 'awesome-fc' });
  });

  it.each([['not JSON', Buffer.from('{')], ['an array', Buffer.from('[1]')], ['wrong types', Buffer.from('{"triggerName":7}')], ['no buffer', 42]])('takes %s as an empty event', (_name, raw) => {
    // Act / Assess
    expect(parseTimerEvent(raw)).toEqual({});
  });
});
