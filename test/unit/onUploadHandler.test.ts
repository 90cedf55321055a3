import { readFileSync } from 'node:fs';
import { fakeImm } from '../helpers/fakeImm';
import path from 'node:path';
import { createHandler } from '../../functions/on-upload';
import { loadConfig } from '../../shared/config';
import { ForbiddenError, UpstreamError } from '../../shared/errors';
import type { FcContext } from '../../shared/fc/types';
import type { ImmClient } from '../../shared/imm';
import { createLogger } from '../../shared/log';
import type { Claim, PendingMarker, Sidecar, SidecarStore } from '../../shared/oss';
import type { Runtime } from '../../shared/runtime';

const template = JSON.parse(readFileSync(path.join(__dirname, '../../../shared/data/fc-events/oss.json'), 'utf8')).events[0];
const context: FcContext = { requestId: 'req-9', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's', securityToken: 't' }, function: { name: 'on-upload' } };

function record(key: string, bucket = 'test-bucket-2024') {
  return { ...template, oss: { ...template.oss, bucket: { ...template.oss.bucket, name: bucket }, object: { ...template.oss.object, key } } };
}

function fakeRuntime(detect: ImmClient['detectImageScore']) {
  const written = new Map<string, Sidecar>();
  const runtime: Runtime = {
    config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024' }),
    log: createLogger({}, { write: () => undefined }, 'silent'),
    imm: async () => fakeImm({ detectImageScore: detect }),
  };
  const claims = new Map<string, Claim>();
  const pending = new Map<string, PendingMarker>();
  /** Marker puts and deletes, in order, with the claim and sidecar writes between them. */
  const markerLog: string[] = [];
  const store: SidecarStore = {
    write: async (bucket, key, sidecar) => {
      written.set(`${bucket}/${key}`, sidecar);
      return `results/${key}.json`;
    },
    read: async (bucket, key) => written.get(`${bucket}/${key}`),
    // Like OSS with x-oss-forbid-overwrite: the first writer wins, atomically.
    createClaim: async (bucket, key, claim) => {
      if (claims.has(`${bucket}/${key}#${claim.eTag}`)) return false;
      claims.set(`${bucket}/${key}#${claim.eTag}`, claim);
      return true;
    },
    readClaim: async (bucket, key, eTag) => claims.get(`${bucket}/${key}#${eTag}`),
    replaceClaim: async (bucket, key, claim) => void claims.set(`${bucket}/${key}#${claim.eTag}`, claim),
    putPending: async (marker) => {
      markerLog.push(`put ${marker.key}#${marker.eTag}`);
      pending.set(`${marker.bucket}/${marker.key}#${marker.eTag}`, marker);
    },
    deletePending: async (bucket, key, eTag) => {
      markerLog.push(`delete ${key}#${eTag}`);
      pending.delete(`${bucket}/${key}#${eTag}`);
    },
    listPage: async () => ({ keys: [] }),
    head: async () => undefined,
  };
  return { runtime, written, claims, pending, markerLog, sidecars: () => store };
}

const eventOf = (...records: unknown[]) => Buffer.from(JSON.stringify({ events: records }));

describe('on-upload handler', () => {
  it('scores every image record, skips other types, and ignores keys outside INPUT_PREFIX', async () => {
    // Prepare
    const { runtime, written, sidecars } = fakeRuntime(async ({ sourceUri }) => ({ score: sourceUri.endsWith('a.jpg') ? 0.8 : 0.3, requestId: 'R' }));
    // Act
    const summary = await createHandler({ runtime, sidecars })(eventOf(record('incoming/a.jpg'), record('incoming/b.png'), record('incoming/c.bin'), record('results/incoming/a.jpg.json')), context);
    // Assess
    expect(summary).toEqual({ processed: 4, outcomes: { succeeded: 2, skipped: 1, ignored: 1 }, rejected: 0 });
    expect(written.get('test-bucket-2024/incoming/a.jpg')).toMatchObject({ source: 'oss://test-bucket-2024/incoming/a.jpg', operation: 'DetectImageScore', status: 'succeeded', score: 0.8, requestId: 'R' });
    expect(written.get('test-bucket-2024/incoming/c.bin')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('.bin') });
    expect(written.has('test-bucket-2024/results/incoming/a.jpg.json')).toBe(false);
  });

  it('gives a failing record a failed sidecar with code and hint, without stopping the others or retrying', async () => {
    // Prepare
    const { runtime, written, sidecars } = fakeRuntime(async ({ sourceUri }) => {
      if (sourceUri.endsWith('bad.jpg')) throw new ForbiddenError('BucketDeniedImm', 'the bucket denied IMM', 'grant oss:GetObject');
      return { score: 0.5, requestId: 'R' };
    });
    // Act
    const summary = await createHandler({ runtime, sidecars })(eventOf(record('incoming/bad.jpg'), record('incoming/good.jpg')), context);
    // Assess
    expect(summary.outcomes).toEqual({ failed: 1, succeeded: 1 });
    expect(written.get('test-bucket-2024/incoming/bad.jpg')).toMatchObject({ status: 'failed', error: { code: 'BucketDeniedImm', message: 'the bucket denied IMM', hint: 'grant oss:GetObject' } });
  });

  it('throws after the batch when a retryable failure happened, so FC re-delivers', async () => {
    // Prepare
    const { runtime, written, sidecars } = fakeRuntime(async ({ sourceUri }) => {
      if (sourceUri.endsWith('flaky.jpg')) throw new UpstreamError('ImmUnavailable', 'IMM 503', 503);
      return { score: 0.5, requestId: 'R' };
    });
    // Act
    const result = createHandler({ runtime, sidecars })(eventOf(record('incoming/flaky.jpg'), record('incoming/ok.jpg')), context);
    // Assess
    await expect(result).rejects.toMatchObject({ code: 'RetryableFailure' });
    expect(written.get('test-bucket-2024/incoming/ok.jpg')?.status).toBe('succeeded');
    expect(written.get('test-bucket-2024/incoming/flaky.jpg')?.status).toBe('failed');
  });

  it('ignores an event from a bucket outside ALLOWED_BUCKETS', async () => {
    // Prepare
    const calls: string[] = [];
    const { runtime, written, sidecars } = fakeRuntime(async ({ sourceUri }) => {
      calls.push(sourceUri);
      return { score: 0.5, requestId: 'R' };
    });
    // Act
    const summary = await createHandler({ runtime, sidecars })(eventOf(record('incoming/a.jpg', 'someone-else')), context);
    // Assess
    expect(summary.outcomes).toEqual({ ignored: 1 });
    expect(calls).toEqual([]);
    expect(written.size).toBe(0);
  });

  it('drops a payload without events instead of throwing, since re-delivery cannot fix it', async () => {
    // Prepare
    const { runtime, written, sidecars } = fakeRuntime(async () => ({ score: 0, requestId: '' }));
    // Act
    const summary = await createHandler({ runtime, sidecars })(Buffer.from('{}'), context);
    // Assess
    expect(summary).toEqual({ processed: 0, outcomes: {}, rejected: 1 });
    expect(written.size).toBe(0);
  });

  describe('duplicate deliveries', () => {
    const withETag = (key: string, eTag: string) => {
      const r = record(key);
      return { ...r, oss: { ...r.oss, object: { ...r.oss.object, eTag } } };
    };

    it('makes no second IMM call for a duplicate delivery, even a concurrent one', async () => {
      // Prepare
      const calls: string[] = [];
      const { runtime, sidecars } = fakeRuntime(async ({ sourceUri }) => {
        calls.push(sourceUri);
        return { score: 0.5, requestId: 'R' };
      });
      const handler = createHandler({ runtime, sidecars });
      const event = eventOf(withETag('incoming/a.jpg', 'AAA'));
      // Act
      const concurrent = await Promise.allSettled([handler(event, context), handler(event, context)]);
      const redelivered = await handler(event, context);
      // Assess
      expect(calls).toEqual(['oss://test-bucket-2024/incoming/a.jpg']);
      // The copy that found a live claim asks FC to re-deliver; the re-delivery finds the work done.
      expect(concurrent.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(redelivered.outcomes).toEqual({ duplicate: 1 });
    });

    it('processes a version again when its claim says done but its sidecar says failed (a release that was overwritten)', async () => {
      // Prepare: on-task-done recorded `failed` and released the claim, then on-upload's late `done` landed.
      const calls: string[] = [];
      const { runtime, sidecars, claims, written } = fakeRuntime(async ({ sourceUri }) => {
        calls.push(sourceUri);
        return { score: 0.5, requestId: 'R' };
      });
      claims.set('test-bucket-2024/incoming/a.jpg#AAA', { eTag: 'AAA', state: 'done', claimedAt: 'then' });
      written.set('test-bucket-2024/incoming/a.jpg', { source: 'oss://test-bucket-2024/incoming/a.jpg', operation: 'DetectImageScore', status: 'failed', eTag: 'AAA', processedAt: 'then', error: { code: 'BucketDeniedImm', message: 'denied' } });
      claims.set('test-bucket-2024/incoming/b.jpg#AAA', { eTag: 'AAA', state: 'done', claimedAt: 'then' });
      written.set('test-bucket-2024/incoming/b.jpg', { source: 'oss://test-bucket-2024/incoming/b.jpg', operation: 'DetectImageScore', status: 'succeeded', eTag: 'AAA', processedAt: 'then' });
      // Act
      const summary = await createHandler({ runtime, sidecars })(eventOf(withETag('incoming/a.jpg', 'AAA'), withETag('incoming/b.jpg', 'AAA')), context);
      // Assess
      expect(calls).toEqual(['oss://test-bucket-2024/incoming/a.jpg']);
      expect(summary.outcomes).toEqual({ succeeded: 1, duplicate: 1 });
      expect(written.get('test-bucket-2024/incoming/a.jpg')?.status).toBe('succeeded');
    });

    it('processes an overwritten object (new eTag) again', async () => {
      // Prepare
      const calls: string[] = [];
      const { runtime, sidecars, written } = fakeRuntime(async ({ sourceUri }) => {
        calls.push(sourceUri);
        return { score: 0.5, requestId: 'R' };
      });
      const handler = createHandler({ runtime, sidecars });
      // Act
      await handler(eventOf(withETag('incoming/a.jpg', 'AAA')), context);
      await handler(eventOf(withETag('incoming/a.jpg', 'BBB')), context);
      // Assess
      expect(calls).toHaveLength(2);
      expect(written.get('test-bucket-2024/incoming/a.jpg')?.eTag).toBe('BBB');
    });

    it('takes over an expired claim left by a crashed attempt, and asks for re-delivery while a live claim is held', async () => {
      // Prepare
      const calls: string[] = [];
      const { runtime, sidecars, claims, written } = fakeRuntime(async ({ sourceUri }) => {
        calls.push(sourceUri);
        return { score: 0.5, requestId: 'R' };
      });
      const past = new Date(Date.now() - 60_000).toISOString();
      const future = new Date(Date.now() + 60_000).toISOString();
      claims.set('test-bucket-2024/incoming/a.jpg#AAA', { eTag: 'AAA', state: 'running', claimedAt: past, expiresAt: past });
      claims.set('test-bucket-2024/incoming/b.jpg#AAA', { eTag: 'AAA', state: 'running', claimedAt: past, expiresAt: future });
      // Act
      const result = createHandler({ runtime, sidecars })(eventOf(withETag('incoming/a.jpg', 'AAA'), withETag('incoming/b.jpg', 'AAA')), context);
      // Assess
      await expect(result).rejects.toMatchObject({ code: 'RetryableFailure' });
      expect(calls).toEqual(['oss://test-bucket-2024/incoming/a.jpg']);
      expect(written.get('test-bucket-2024/incoming/a.jpg')?.status).toBe('succeeded');
      expect(written.has('test-bucket-2024/incoming/b.jpg')).toBe(false);
    });

    it('releases the claim on a retryable failure, so the re-delivery does the work', async () => {
      // Prepare
      let fail = true;
      const { runtime, sidecars, written } = fakeRuntime(async () => {
        if (fail) throw new UpstreamError('ImmUnavailable', 'IMM 503', 503);
        return { score: 0.7, requestId: 'R' };
      });
      const handler = createHandler({ runtime, sidecars });
      const event = eventOf(withETag('incoming/a.jpg', 'AAA'));
      // Act
      await expect(handler(event, context)).rejects.toMatchObject({ code: 'RetryableFailure' });
      fail = false;
      const retried = await handler(event, context);
      // Assess
      expect(retried.outcomes).toEqual({ succeeded: 1 });
      expect(written.get('test-bucket-2024/incoming/a.jpg')).toMatchObject({ status: 'succeeded', score: 0.7, eTag: 'AAA' });
    });
  });
});

describe('on-upload batches', () => {
  it('processes a batch with bounded concurrency, and one failing record does not block the others', async () => {
    // Prepare
    let running = 0;
    let peak = 0;
    const { runtime: base, sidecars } = fakeRuntime(async ({ sourceUri }) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      if (sourceUri.endsWith('/3.jpg')) throw new ForbiddenError('ImmAccessDenied', 'denied');
      return { score: 0.5, requestId: 'R' };
    });
    const runtime = { ...base, config: { ...base.config, batchConcurrency: 4 } };
    const records = Array.from({ length: 20 }, (_, i) => record(`incoming/batch/${i}.jpg`));
    // Act
    const summary = await createHandler({ runtime, sidecars })(eventOf(...records), context);
    // Assess
    expect(peak).toBe(4);
    expect(summary.outcomes).toEqual({ succeeded: 19, failed: 1 });
  });
});

describe('on-upload tasks', () => {
  it('submits a video and a document as IMM tasks, with a submitted sidecar naming the task and its target', async () => {
    // Prepare
    const { runtime: base, sidecars, written } = fakeRuntime(async () => ({ score: 0.5, requestId: 'R' }));
    const submitted: unknown[] = [];
    const runtime = {
      ...base,
      imm: async () =>
        fakeImm({
          createMediaConvertTask: async (input) => {
            submitted.push(input);
            return { taskId: 'MediaConvert-1', requestId: 'R1' };
          },
          createOfficeConversionTask: async (input) => {
            submitted.push(input);
            return { taskId: 'OfficeConversion-1', requestId: 'R2' };
          },
        }),
    };
    // Act
    const summary = await createHandler({ runtime, sidecars })(eventOf(record('incoming/v/clip.mov'), record('incoming/d/report.pdf')), context);
    // Assess
    expect(summary.outcomes).toEqual({ submitted: 2 });
    expect(written.get('test-bucket-2024/incoming/v/clip.mov')).toMatchObject({ status: 'submitted', operation: 'CreateMediaConvertTask', taskId: 'MediaConvert-1', taskType: 'MediaConvert', target: 'oss://test-bucket-2024/converted/incoming/v/clip.mov.mp4' });
    expect(written.get('test-bucket-2024/incoming/d/report.pdf')).toMatchObject({ status: 'submitted', taskType: 'OfficeConversion', target: 'oss://test-bucket-2024/converted/incoming/d/report.pdf/' });
    expect(submitted).toEqual([
      expect.objectContaining({ container: 'mp4', video: { codec: 'h264', crf: 23 }, audio: { codec: 'aac' }, userData: expect.stringContaining('clip.mov') }),
      expect.objectContaining({ targetType: 'png', pages: '1', targetUriPrefix: 'oss://test-bucket-2024/converted/incoming/d/report.pdf/' }),
    ]);
  });
});

describe('on-upload pending markers', () => {
  const ETAG = '688A7BF4F233DC9C88A80BF985AB7329';
  const withETag = (key: string, eTag: string) => {
    const r = record(key);
    return { ...r, oss: { ...r.oss, object: { ...r.oss.object, eTag } } };
  };

  it('writes the marker before calling IMM and deletes it once the sidecar is final (succeeded, skipped)', async () => {
    // Prepare
    const state = fakeRuntime(async () => {
      state.markerLog.push('imm');
      return { score: 0.5, requestId: 'R' };
    });
    // Act
    await createHandler({ runtime: state.runtime, sidecars: state.sidecars })(eventOf(record('incoming/a.jpg'), record('incoming/c.bin')), context);
    // Assess
    expect(state.markerLog.filter((e) => e.includes('a.jpg') || e === 'imm')).toEqual([`put incoming/a.jpg#${ETAG}`, 'imm', `delete incoming/a.jpg#${ETAG}`]);
    expect(state.markerLog.filter((e) => e.includes('c.bin'))).toEqual([`put incoming/c.bin#${ETAG}`, `delete incoming/c.bin#${ETAG}`]);
    expect(state.pending.size).toBe(0);
  });

  it('keeps the marker of a submitted task, whose outcome is still to come', async () => {
    // Prepare
    const state = fakeRuntime(async () => ({ score: 0.5, requestId: 'R' }));
    const runtime = { ...state.runtime, imm: async () => fakeImm({ createMediaConvertTask: async () => ({ taskId: 'MediaConvert-1', requestId: 'R1' }) }) };
    // Act
    await createHandler({ runtime, sidecars: state.sidecars })(eventOf(record('incoming/v/clip.mov')), context);
    // Assess
    expect([...state.pending.values()]).toEqual([{ bucket: 'test-bucket-2024', key: 'incoming/v/clip.mov', eTag: ETAG, since: expect.any(String) }]);
  });

  it.each([
    ['a permanent failure', new ForbiddenError('BucketDeniedImm', 'denied')],
    ['a retryable failure (FC re-delivers; a failed sidecar is final all the same)', new UpstreamError('ImmUnavailable', 'IMM 503', 503)],
  ])('deletes the marker after %s', async (_name, error) => {
    // Prepare
    const state = fakeRuntime(async () => {
      throw error;
    });
    // Act
    await createHandler({ runtime: state.runtime, sidecars: state.sidecars })(eventOf(record('incoming/a.jpg')), context).catch(() => undefined);
    // Assess
    expect(state.written.get('test-bucket-2024/incoming/a.jpg')?.status).toBe('failed');
    expect(state.pending.size).toBe(0);
  });

  it('keeps the marker when the attempt dies before its sidecar is written, so the reconciler finds the version', async () => {
    // Prepare
    const state = fakeRuntime(async () => ({ score: 0.5, requestId: 'R' }));
    const store = state.sidecars();
    const dying = {
      ...store,
      write: async () => {
        throw new UpstreamError('OssUnavailable', 'OSS 503', 503);
      },
    };
    // Act
    await expect(createHandler({ runtime: state.runtime, sidecars: () => dying })(eventOf(record('incoming/a.jpg')), context)).rejects.toMatchObject({ code: 'RetryableFailure' });
    // Assess
    expect([...state.pending.keys()]).toEqual([`test-bucket-2024/incoming/a.jpg#${ETAG}`]);
  });

  it('a duplicate delivery of a settled version leaves no marker; one that meets a live claim leaves the marker to its holder', async () => {
    // Prepare
    const state = fakeRuntime(async () => ({ score: 0.5, requestId: 'R' }));
    const handler = createHandler({ runtime: state.runtime, sidecars: state.sidecars });
    const future = new Date(Date.now() + 60_000).toISOString();
    state.claims.set('test-bucket-2024/incoming/b.jpg#BBB', { eTag: 'BBB', state: 'running', claimedAt: future, expiresAt: future });
    // Act
    await handler(eventOf(withETag('incoming/a.jpg', 'AAA')), context);
    const duplicate = await handler(eventOf(withETag('incoming/a.jpg', 'AAA')), context);
    await expect(handler(eventOf(withETag('incoming/b.jpg', 'BBB')), context)).rejects.toMatchObject({ code: 'RetryableFailure' });
    // Assess
    expect(duplicate.outcomes).toEqual({ duplicate: 1 });
    expect(state.markerLog.filter((e) => e.includes('a.jpg'))).toEqual(['put incoming/a.jpg#AAA', 'delete incoming/a.jpg#AAA', 'put incoming/a.jpg#AAA', 'delete incoming/a.jpg#AAA']);
    expect([...state.pending.keys()]).toEqual(['test-bucket-2024/incoming/b.jpg#BBB']);
  });

  it('writes no marker for what it ignores (outside INPUT_PREFIX, a bucket not allowed)', async () => {
    // Prepare
    const state = fakeRuntime(async () => ({ score: 0.5, requestId: 'R' }));
    // Act
    await createHandler({ runtime: state.runtime, sidecars: state.sidecars })(eventOf(record('results/x.jpg'), record('incoming/a.jpg', 'someone-else')), context);
    // Assess
    expect(state.markerLog).toEqual([]);
  });

  describe('keys with dot or empty segments, or a NUL (issue 11)', () => {
    it('skips them with an InvalidKey sidecar where its key is safe, drops them with a log line where not, and never asks for a retry', async () => {
      // Prepare
      const lines: string[] = [];
      const state = fakeRuntime(async () => {
        throw new Error('IMM must not be called');
      });
      state.runtime.log = createLogger({}, { write: (l: string) => void lines.push(l) }, 'info');
      const keys = ['incoming//a.jpg', 'incoming/x/..', 'incoming/.', 'incoming/x/../a.jpg', 'incoming/./a.jpg', 'incoming/../results/incoming/b.jpg', 'incoming/a\u0000.jpg'];
      // Act
      const summary = await createHandler({ runtime: state.runtime, sidecars: state.sidecars })(eventOf(...keys.map((k) => record(k))), context);
      // Assess
      expect(summary.outcomes).toEqual({ skipped: 3, ignored: 4 });
      expect([...state.written.keys()]).toEqual(['test-bucket-2024/incoming//a.jpg', 'test-bucket-2024/incoming/x/..', 'test-bucket-2024/incoming/.']);
      for (const sidecar of state.written.values()) {
        expect(sidecar).toMatchObject({ operation: 'none', status: 'skipped', reasonCode: 'InvalidKey', reason: expect.stringMatching(/segment/) });
      }
      expect(state.markerLog).toEqual([]);
      expect(state.claims.size).toBe(0);
      const drops = lines.map((l) => JSON.parse(l)).filter((l) => /dropped without a sidecar/.test(l.msg));
      expect(drops.map((l) => l.key)).toEqual(['incoming/x/../a.jpg', 'incoming/./a.jpg', 'incoming/../results/incoming/b.jpg', 'incoming/a\u0000.jpg']);
      expect(drops.every((l) => l.level === 'warn')).toBe(true);
    });

    it('drops the object with a log line, without a throw, when its InvalidKey sidecar cannot be written', async () => {
      // Prepare
      const state = fakeRuntime(async () => ({ score: 0.5, requestId: 'R' }));
      const store = state.sidecars();
      store.write = async () => {
        throw new UpstreamError('OssUnavailable', 'OSS PutObject failed', 503);
      };
      // Act
      const summary = await createHandler({ runtime: state.runtime, sidecars: () => store })(eventOf(record('incoming//a.jpg')), context);
      // Assess
      expect(summary.outcomes).toEqual({ ignored: 1 });
    });
  });
});
