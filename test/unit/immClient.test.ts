import { createImmClient, type CallImm, type Query } from '../../shared/imm';
import { ForbiddenError, NotFoundError, UpstreamError } from '../../shared/errors';

const creds = { accessKeyId: 'STS.op', accessKeySecret: 's', securityToken: 't' };
const config = { region: 'cn-hangzhou', immRoleArn: 'acs:ram::2:role/imm-bridge-operator' };

function recorder(answer: (action: string, query: Query) => Record<string, unknown>) {
  const calls: { action: string; query: Query }[] = [];
  const call: CallImm = async (action, query) => {
    calls.push({ action, query });
    return answer(action, query);
  };
  return { calls, client: createImmClient(creds, config, { call, retry: { sleep: async () => undefined } }) };
}

describe('IMM client wire shape', () => {
  it('sends CreateMediaConvertTask with Sources, Targets and Notification as JSON strings with PascalCase keys', async () => {
    // Prepare
    const { calls, client } = recorder(() => ({ RequestId: 'R', TaskId: 'MediaConvert-1' }));
    // Act
    const result = await client.createMediaConvertTask({
      projectName: 'immtest',
      sourceUri: 'oss://b/incoming/a.mov',
      targetUri: 'oss://b/converted/incoming/a.mov.mp4',
      container: 'mp4',
      video: { codec: 'h264', resolution: '1280x720', crf: 23 },
      audio: { codec: 'aac' },
      notification: { mnsTopic: 'imm-bridge-tasks' },
    });
    // Assess
    expect(result).toEqual({ taskId: 'MediaConvert-1', requestId: 'R' });
    expect(calls[0].action).toBe('CreateMediaConvertTask');
    expect(calls[0].query).toMatchObject({ ProjectName: 'immtest', Notification: '{"MNS":{"TopicName":"imm-bridge-tasks"}}' });
    expect(JSON.parse(String(calls[0].query.Sources))).toEqual([{ URI: 'oss://b/incoming/a.mov' }]);
    expect(JSON.parse(String(calls[0].query.Targets))).toEqual([
      { URI: 'oss://b/converted/incoming/a.mov.mp4', Container: 'mp4', Video: { TranscodeVideo: { Codec: 'h264', Resolution: '1280x720', CRF: 23 } }, Audio: { TranscodeAudio: { Codec: 'aac' } } },
    ]);
  });

  it.each([
    ['createOfficeConversionTask', { projectName: 'p', sourceUri: 'oss://b/incoming/a.pdf', targetType: 'png', targetUriPrefix: 'oss://b/converted/incoming/a.pdf/', pages: '1' }, 'CreateOfficeConversionTask', { ProjectName: 'p', SourceURI: 'oss://b/incoming/a.pdf', TargetType: 'png', TargetURIPrefix: 'oss://b/converted/incoming/a.pdf/', Pages: '1' }],
    ['getTask', { projectName: 'p', taskType: 'MediaConvert', taskId: 'MediaConvert-1' }, 'GetTask', { ProjectName: 'p', TaskType: 'MediaConvert', TaskId: 'MediaConvert-1' }],
    ['generateWebofficeToken', { projectName: 'p', sourceUri: 'oss://b/incoming/a.pdf', user: { id: 'u1', name: 'Ann' } }, 'GenerateWebofficeToken', { ProjectName: 'p', SourceURI: 'oss://b/incoming/a.pdf', Permission: '{"Readonly":true}', User: '{"Id":"u1","Name":"Ann"}' }],
    ['refreshWebofficeToken', { projectName: 'p', accessToken: 'a', refreshToken: 'r' }, 'RefreshWebofficeToken', { ProjectName: 'p', AccessToken: 'a', RefreshToken: 'r' }],
  ] as const)('%s sends the generated SDK\'s parameters', async (method, input, action, query) => {
    // Prepare
    const { calls, client } = recorder(() => ({ RequestId: 'R', TaskId: 'T', TaskType: 'MediaConvert', Status: 'Running', AccessToken: 'a2', RefreshToken: 'r2', AccessTokenExpiredTime: 'x', RefreshTokenExpiredTime: 'y' }));
    // Act
    await (client[method] as (i: unknown) => Promise<unknown>)(input);
    // Assess
    expect(calls[0].action).toBe(action);
    expect(Object.fromEntries(Object.entries(calls[0].query).filter(([, v]) => v !== undefined))).toEqual(query);
  });

  it('maps GetTask, tokens and errors to typed results', async () => {
    // Prepare
    const { client } = recorder((action) => {
      if (action === 'GetTask') return { TaskId: 'T', TaskType: 'OfficeConversion', Status: 'Failed', Code: 'AccessDenied', Message: 'no', StartTime: 's', EndTime: 'e' };
      throw Object.assign(new Error('ResourceNotFound'), { code: 'ResourceNotFound', statusCode: 404, data: { Message: 'The specified resource Task is not found.' } });
    });
    // Act
    const task = await client.getTask({ projectName: 'p', taskType: 'OfficeConversion', taskId: 'T' });
    const missing = await client.refreshWebofficeToken({ projectName: 'p', accessToken: 'a', refreshToken: 'r' }).catch((e: unknown) => e);
    // Assess
    expect(task).toEqual({ taskId: 'T', taskType: 'OfficeConversion', status: 'Failed', code: 'AccessDenied', message: 'no', startTime: 's', endTime: 'e' });
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it('tells an unknown task from an unknown project in GetTask\'s 404', async () => {
    // Prepare
    const notFound = (resource: string) => recorder(() => {
      throw Object.assign(new Error('ResourceNotFound'), { code: 'ResourceNotFound', statusCode: 404, data: { Message: `The specified resource ${resource} is not found. (no ${resource.toLowerCase()} in project \`oss-media\`)` } });
    }).client;
    // A project whose name contains `oss` must not make an unknown task look like a missing object.
    const lookup = { projectName: 'oss-media', taskType: 'MediaConvert' as const, taskId: 'MediaConvert-x' };
    // Act
    const task = await notFound('Task').getTask(lookup).catch((e: unknown) => e);
    const project = await notFound('Project').getTask(lookup).catch((e: unknown) => e);
    // Assess
    expect(task).toMatchObject({ statusCode: 404, code: 'TaskNotFound', hint: expect.stringContaining('no task with this id and type in project `oss-media`') });
    expect(project).toMatchObject({ statusCode: 404, code: 'ResourceNotFound', hint: expect.stringContaining('check that the IMM project `oss-media` exists') });
  });

  it('retries a throttled task creation but not one that timed out (IMM may have created it)', async () => {
    // Prepare
    let attempts = 0;
    const throttled = recorder(() => {
      attempts += 1;
      if (attempts === 1) throw Object.assign(new Error('Throttling'), { code: 'Throttling.User', statusCode: 400 });
      return { TaskId: 'T' };
    });
    const timedOut = recorder(() => {
      throw Object.assign(new Error('ConnectTimeout'), { name: 'RequestTimeoutError' });
    });
    // Act
    const created = await throttled.client.createMediaConvertTask({ projectName: 'p', sourceUri: 'oss://b/k', targetUri: 'oss://b/c', container: 'mp4' });
    const failed = await timedOut.client.createMediaConvertTask({ projectName: 'p', sourceUri: 'oss://b/k', targetUri: 'oss://b/c', container: 'mp4' }).catch((e: unknown) => e);
    // Assess
    expect(created.taskId).toBe('T');
    expect(throttled.calls).toHaveLength(2);
    expect(timedOut.calls).toHaveLength(1);
    expect(failed).toBeInstanceOf(UpstreamError);
  });

  it('names the missing grant when IMM denies the operator role', async () => {
    // Prepare
    const { client } = recorder(() => {
      throw Object.assign(new Error('denied'), { code: 'AccessDenied', statusCode: 403, data: { Message: 'You are not authorized' } });
    });
    // Act
    const error = await client.createOfficeConversionTask({ projectName: 'immtest', sourceUri: 'oss://b/a.pdf', targetType: 'png', targetUriPrefix: 'oss://b/c/' }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).hint).toContain('imm:CreateOfficeConversionTask');
  });
});
