// on-task-done in isolation: the MNS event and IMM notification parsers, and the handler with a fake IMM and
// an in-memory sidecar store.
import { createHandler } from '../../functions/on-task-done';
import { loadConfig } from '../../shared/config';
import { BadRequestError, NotFoundError, UpstreamError } from '../../shared/errors';
import { parseMnsEvent } from '../../shared/fc/mnsEvent';
import type { FcContext } from '../../shared/fc/types';
import type { TaskInfo } from '../../shared/imm';
import { createLogger } from '../../shared/log';
import type { Claim, Sidecar, SidecarStore } from '../../shared/oss';
import type { Runtime } from '../../shared/runtime';
import { shorten } from '../../shared/taskDone';
import { parseTaskNotification } from '../../shared/taskNotification';
import { fakeImm } from '../helpers/fakeImm';

const context: FcContext = { requestId: 'req-1', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's', securityToken: 't' }, function: { name: 'on-task-done' } };
const SOURCE = 'oss://test-bucket-2024/incoming/v/clip.mp4';
const USER_DATA = JSON.stringify({ source: SOURCE, eTag: 'E1' });

/** IMM's notification body: an envelope whose `content` is the task as a JSON string (IMM docs, 2743997). */
function immMessage(content: Record<string, unknown>): string {
  return JSON.stringify({
    id: 'msg-1',
    source: 'acs.imm',
    type: `imm:Task:${String(content.TaskType ?? 'MediaConvert')}`,
    subject: 'acs:imm:cn-hangzhou:2000000000000002:immtest/imm:Task:MediaConvert',
    time: '1724133063161',
    content: JSON.stringify({ ProjectName: 'immtest', TaskType: 'MediaConvert', TaskId: 'MediaConvert-1', Status: 'Succeeded', Code: '', Message: '', UserData: USER_DATA, ...content }),
  });
}

/** FC's MNS topic trigger event in the JSON notifyContentFormat. */
function mnsEvent(body: string): Buffer {
  return Buffer.from(
    JSON.stringify({ TopicOwner: '2000000000000002', TopicName: 'imm-bridge-task-done', Subscriber: '1000000000000001', SubscriptionName: 'fc', MessageId: 'M1', Message: body, MessageMD5: 'X', PublishTime: 1550216302888 }),
  );
}

const submitted: Sidecar = {
  source: SOURCE,
  operation: 'CreateMediaConvertTask',
  status: 'submitted',
  taskId: 'MediaConvert-1',
  taskType: 'MediaConvert',
  target: 'oss://test-bucket-2024/converted/incoming/v/clip.mp4.mp4',
  eTag: 'E1',
  processedAt: '2026-12-02T00:00:00.000Z',
};

function setup(getTask: (input: { taskType: string; taskId: string }) => Promise<TaskInfo>, existing: Sidecar | null = submitted, claim?: Claim) {
  const sidecars = new Map<string, Sidecar>();
  if (existing) sidecars.set('test-bucket-2024/incoming/v/clip.mp4', existing);
  const calls: string[] = [];
  const replacedClaims: Claim[] = [];
  const deletedMarkers: string[] = [];
  const runtime: Runtime = {
    config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024' }),
    log: createLogger({}, { write: () => undefined }, 'silent'),
    imm: async () =>
      fakeImm({
        getTask: async (input) => {
          calls.push(`${input.taskType}/${input.taskId}`);
          return getTask(input);
        },
      }),
  };
  const store: SidecarStore = {
    write: async (bucket, key, sidecar) => {
      sidecars.set(`${bucket}/${key}`, sidecar);
      return `results/${key}.json`;
    },
    read: async (bucket, key) => sidecars.get(`${bucket}/${key}`),
    createClaim: async () => true,
    readClaim: async (_bucket, _key, eTag) => (claim?.eTag === eTag ? claim : undefined),
    replaceClaim: async (_bucket, _key, replaced) => void replacedClaims.push(replaced),
    putPending: async () => undefined,
    deletePending: async (bucket, key, eTag) => void deletedMarkers.push(`${bucket}/${key}#${eTag}`),
    listPage: async () => ({ keys: [] }),
    head: async () => undefined,
  };
  return { handler: createHandler({ runtime, sidecars: () => store }), sidecars, calls, replacedClaims, deletedMarkers };
}

const task = (fields: Partial<TaskInfo>): TaskInfo => ({ taskId: 'MediaConvert-1', taskType: 'MediaConvert', status: 'Succeeded', userData: USER_DATA, ...fields });

describe('parseMnsEvent', () => {
  it('reads the JSON notifyContentFormat: body from Message, attributes beside it', () => {
    // Act
    const message = parseMnsEvent(mnsEvent('hello'));
    // Assess
    expect(message).toEqual({ body: 'hello', messageId: 'M1', topicOwner: '2000000000000002', topicName: 'imm-bridge-task-done', tag: undefined, publishTime: 1550216302888 });
  });

  it('takes a STREAM payload (the body itself) as the body, JSON or not', () => {
    // Act
    const json = parseMnsEvent(Buffer.from('{"id":"x","source":"acs.imm"}'));
    const plain = parseMnsEvent(Buffer.from('not json'));
    // Assess
    expect(json).toEqual({ body: '{"id":"x","source":"acs.imm"}' });
    expect(plain).toEqual({ body: 'not json' });
  });

  it('refuses a payload that is not bytes, or far larger than any MNS message', () => {
    // Act / Assess
    expect(() => parseMnsEvent({ not: 'a buffer' })).toThrow(BadRequestError);
    expect(() => parseMnsEvent(Buffer.alloc(300 * 1024, 'a'))).toThrow(/exceeds/);
  });
});

describe('parseTaskNotification', () => {
  it('unwraps the envelope and the JSON string in content', () => {
    // Act
    const notice = parseTaskNotification(immMessage({ Status: 'Failed', Code: 'AccessDenied', Message: 'File access forbidden' }));
    // Assess
    expect(notice).toEqual({ id: 'msg-1', projectName: 'immtest', taskType: 'MediaConvert', taskId: 'MediaConvert-1', status: 'Failed', code: 'AccessDenied', message: 'File access forbidden', userData: USER_DATA });
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['another source', JSON.stringify({ source: 'acs.oss', type: 'imm:Task:X', content: '{}' }), /source/],
    ['content not JSON', JSON.stringify({ source: 'acs.imm', type: 'imm:Task:X', content: '{' }), /content/],
    ['no TaskId', JSON.stringify({ source: 'acs.imm', type: 'imm:Task:X', content: JSON.stringify({ ProjectName: 'p', TaskType: 'MediaConvert', Status: 'Succeeded' }) }), /TaskId/],
    ['a TaskId with a slash', immMessage({ TaskId: '../x' }), /TaskId/],
  ])('refuses %s with InvalidNotification', (_name, body, problem) => {
    // Act / Assess
    expect(() => parseTaskNotification(body)).toThrow(problem);
    expect(() => parseTaskNotification(body)).toThrow(expect.objectContaining({ code: 'InvalidNotification', statusCode: 400 }));
  });
});

describe('on-task-done handler', () => {
  it('makes a submitted sidecar succeeded, taking the outcome from GetTask', async () => {
    // Prepare
    const { handler, sidecars, calls, replacedClaims, deletedMarkers } = setup(async () => task({ status: 'Succeeded' }));
    // Act
    const result = await handler(mnsEvent(immMessage({})), context);
    // Assess
    expect(result).toEqual({ status: 'succeeded', sidecarKey: 'results/incoming/v/clip.mp4.json' });
    expect(replacedClaims).toEqual([]);
    // The version is settled: on-upload's pending marker for it goes (shared/pending.ts).
    expect(deletedMarkers).toEqual(['test-bucket-2024/incoming/v/clip.mp4#E1']);
    expect(calls).toEqual(['MediaConvert/MediaConvert-1']);
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')).toMatchObject({ status: 'succeeded', taskId: 'MediaConvert-1', submittedAt: submitted.processedAt, target: submitted.target });
  });

  it('trusts GetTask over the message: a forged "Succeeded" for a failed task records the failure with its hint', async () => {
    // Prepare
    const { handler, sidecars, replacedClaims, deletedMarkers } = setup(async () => task({ status: 'Failed', code: 'AccessDenied', message: 'File access forbidden: may not oss:PutObject on `oss://test-bucket-2024/converted/x`' }));
    // Act
    const result = await handler(mnsEvent(immMessage({ Status: 'Succeeded' })), context);
    // Assess
    expect(result).toMatchObject({ status: 'failed' });
    expect(deletedMarkers).toEqual(['test-bucket-2024/incoming/v/clip.mp4#E1']);
    // Claims are on-upload's: its takeover rule reprocesses a version whose sidecar says failed (onUploadHandler.test).
    expect(replacedClaims).toEqual([]);
    const sidecar = sidecars.get('test-bucket-2024/incoming/v/clip.mp4')!;
    expect(sidecar.error).toMatchObject({ code: 'AccessDenied', message: expect.stringContaining('oss:PutObject') });
    expect(sidecar.error!.hint).toContain('acs:oss:*:*:test-bucket-2024/converted/*');
  });

  it('names the read grant when IMM could not read the source', async () => {
    // Prepare
    const { handler, sidecars } = setup(async () => task({ status: 'Failed', code: 'AccessDenied', message: 'File access forbidden: may not oss:GetObject on `oss://test-bucket-2024/incoming/v/clip.mp4`' }));
    // Act
    await handler(mnsEvent(immMessage({})), context);
    // Assess
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')!.error!.hint).toContain('`oss:GetObject` on `acs:oss:*:*:test-bucket-2024/incoming/*`');
  });

  it('asks for re-delivery (throws a retryable error) while the task runs or while on-upload is still writing the sidecar', async () => {
    // Prepare
    const running = setup(async () => task({ status: 'Running' }));
    const inFlight: Claim = { eTag: 'E1', state: 'running', claimedAt: 'now', expiresAt: new Date(Date.now() + 60_000).toISOString() };
    const early = setup(async () => task({ status: 'Succeeded' }), null, inFlight);
    // Act / Assess
    await expect(running.handler(mnsEvent(immMessage({})), context)).rejects.toMatchObject({ code: 'TaskNotSettled', retryable: true });
    await expect(early.handler(mnsEvent(immMessage({})), context)).rejects.toMatchObject({ code: 'TaskNotSettled', retryable: true });
    expect(early.sidecars.size).toBe(0);
  });

  it.each([
    ['no claim at all (the sidecar was deleted)', undefined],
    ['a settled claim', { eTag: 'E1', state: 'done', claimedAt: 'then' } as Claim],
    ['an expired running claim (that attempt died)', { eTag: 'E1', state: 'running', claimedAt: 'then', expiresAt: new Date(Date.now() - 1000).toISOString() } as Claim],
  ])('drops a notification whose sidecar is missing and will never come: %s', async (_name, claim) => {
    // Prepare
    const { handler, sidecars } = setup(async () => task({}), null, claim);
    // Act
    const result = await handler(mnsEvent(immMessage({})), context);
    // Assess
    expect(result).toMatchObject({ status: 'ignored', reason: expect.stringContaining('no sidecar') });
    expect(sidecars.size).toBe(0);
  });

  it('waits (re-delivery) while on-upload still holds the claim for this version over the previous upload\'s sidecar', async () => {
    // Prepare: the sidecar is still the previous upload's; on-upload is between CreateTask and the sidecar write.
    const previous: Sidecar = { ...submitted, status: 'succeeded', taskId: 'MediaConvert-0', eTag: 'E0' };
    const { handler, sidecars } = setup(async () => task({}), previous, { eTag: 'E1', state: 'running', claimedAt: 'now', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    // Act / Assess
    await expect(handler(mnsEvent(immMessage({})), context)).rejects.toMatchObject({ code: 'TaskNotSettled', retryable: true });
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')).toEqual(previous);
  });

  it.each([
    ['a duplicate delivery', task({}), { ...submitted, status: 'succeeded' as const }, /already says `succeeded`/],
    ['an older upload of the same key', task({}), { ...submitted, taskId: 'MediaConvert-2' }, /another task/],
    ['a task of an API request (no UserData)', task({ userData: undefined }), submitted, /not submitted for an upload/],
    ['UserData naming a bucket not in ALLOWED_BUCKETS', task({ userData: JSON.stringify({ source: 'oss://other/incoming/v/clip.mp4' }) }), submitted, /not submitted for an upload/],
    ['UserData outside INPUT_PREFIX', task({ userData: JSON.stringify({ source: 'oss://test-bucket-2024/results/x.json' }) }), submitted, /not submitted for an upload/],
  ])('changes nothing for %s', async (_name, info, existing, reason) => {
    // Prepare
    const { handler, sidecars, deletedMarkers } = setup(async () => info, existing);
    // Act
    const result = await handler(mnsEvent(immMessage({})), context);
    // Assess
    expect(result).toMatchObject({ status: 'ignored', reason: expect.stringMatching(reason) });
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')).toEqual(existing);
    expect(deletedMarkers).toEqual([]);
  });

  it('ignores another project, a task type it never submits, and a task IMM does not know, without re-delivery', async () => {
    // Prepare
    const { handler, calls } = setup(async () => {
      throw new NotFoundError('TaskNotFound', 'no such task');
    });
    // Act
    const otherProject = await handler(mnsEvent(immMessage({ ProjectName: 'other' })), context);
    const otherType = await handler(mnsEvent(immMessage({ TaskType: 'ImageModeration' })), context);
    const unknown = await handler(mnsEvent(immMessage({})), context);
    // Assess
    expect([otherProject, otherType, unknown].map((r) => r.status)).toEqual(['ignored', 'ignored', 'ignored']);
    expect(calls).toEqual(['MediaConvert/MediaConvert-1']);
  });

  it('drops a message that is not an IMM notification, and re-throws only transient failures', async () => {
    // Prepare
    const transient = setup(async () => {
      throw new UpstreamError('ImmUnavailable', 'IMM 503', 503);
    });
    const denied = setup(async () => {
      throw new BadRequestError('nope', undefined, 'InvalidTaskId');
    });
    // Act
    const garbage = await transient.handler(Buffer.from('{"hello":'), context);
    const deniedResult = await denied.handler(mnsEvent(immMessage({})), context);
    // Assess
    expect(garbage).toMatchObject({ status: 'rejected' });
    await expect(transient.handler(mnsEvent(immMessage({})), context)).rejects.toMatchObject({ retryable: true });
    expect(deniedResult).toEqual({ status: 'error', code: 'InvalidTaskId' });
  });
});

describe('shorten', () => {
  it('keeps short text, and cuts long text at a word boundary with an ellipsis', () => {
    // Act / Assess
    expect(shorten('short message', 20)).toBe('short message');
    expect(shorten('no object ACL: bucket ACL private decides', 30)).toBe('no object ACL: bucket ACL…');
    expect(shorten('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(shorten('a'.repeat(40) + ' tail', 30)).toHaveLength(30);
  });
});
