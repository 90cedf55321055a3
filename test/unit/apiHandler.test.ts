import { createHash } from 'node:crypto';
import { fakeImm } from '../helpers/fakeImm';
import { createHandler } from '../../functions/api';
import { loadConfig } from '../../shared/config';
import { ForbiddenError, NotFoundError } from '../../shared/errors';
import type { FcContext } from '../../shared/fc/types';
import type { ImmClient } from '../../shared/imm';
import { createLogger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';

const TOKEN = 'test-token-123';

function fakeRuntime(detect: ImmClient['detectImageScore'] = async () => ({ score: 0.42, requestId: 'R1' })) {
  const immCalls: string[] = [];
  const lines: string[] = [];
  const runtime: Runtime = {
    config: loadConfig({
      IMM_PROJECT: 'immtest',
      REGION: 'cn-hangzhou',
      ALLOWED_BUCKETS: 'test-bucket-2024',
      API_TOKENS_SHA256: createHash('sha256').update(TOKEN).digest('hex'),
    }),
    log: createLogger({}, { write: (l: string) => void lines.push(l) }, 'info'),
    imm: async () => fakeImm({
      detectImageScore: async (input) => {
        immCalls.push(input.sourceUri);
        return detect(input);
      },
    }),
  };
  return { runtime, immCalls, lines };
}

const context: FcContext = { requestId: 'req-1', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 'fn-secret', securityToken: 'fn-token' }, function: { name: 'api' } };

function event(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }) {
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      headers,
      queryParameters: {},
      body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1', http: { method, path } },
    }),
  );
}

describe('api handler', () => {
  it('answers /healthz without a token', async () => {
    // Prepare
    const { runtime } = fakeRuntime();
    // Act
    const response = await createHandler({ runtime })(event('GET', '/healthz', undefined, {}), context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
  });

  it('scores an image: 200 with uri and score', async () => {
    // Prepare
    const { runtime, immCalls } = fakeRuntime();
    // Act
    const response = await createHandler({ runtime })(event('POST', '/images/score', { uri: 'oss://test-bucket-2024/incoming/a.jpg' }), context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ uri: 'oss://test-bucket-2024/incoming/a.jpg', score: 0.42 });
    expect(immCalls).toEqual(['oss://test-bucket-2024/incoming/a.jpg']);
  });

  it.each([
    ['no token', event('POST', '/images/score', { uri: 'oss://test-bucket-2024/a.jpg' }, { 'content-type': 'application/json' }), 401, 'Unauthorized'],
    ['a wrong token', event('POST', '/images/score', { uri: 'oss://test-bucket-2024/a.jpg' }, { authorization: 'Bearer nope' }), 401, 'Unauthorized'],
    ['a foreign bucket', event('POST', '/images/score', { uri: 'oss://someone-else/a.jpg' }), 403, 'BucketNotAllowed'],
    ['oss://', event('POST', '/images/score', { uri: 'oss://' }), 400, 'InvalidUri'],
    ['traversal', event('POST', '/images/score', { uri: 'oss://test-bucket-2024/../x' }), 400, 'InvalidUri'],
    ['an empty key', event('POST', '/images/score', { uri: 'oss://test-bucket-2024/' }), 400, 'InvalidUri'],
    ['a non-oss scheme', event('POST', '/images/score', { uri: 'https://test-bucket-2024/a.jpg' }), 400, 'InvalidUri'],
    ['a 1,024-byte key', event('POST', '/images/score', { uri: `oss://test-bucket-2024/${'k'.repeat(1024)}` }), 400, 'InvalidUri'],
    ['a missing uri', event('POST', '/images/score', {}), 400, 'InvalidUri'],
    ['invalid JSON', event('POST', '/images/score', '{"uri":'), 400, 'InvalidJson'],
    ['a JSON array', event('POST', '/images/score', '[1]'), 400, 'InvalidBody'],
    ['an oversized body', event('POST', '/images/score', { uri: 'oss://test-bucket-2024/a.jpg', pad: 'x'.repeat(20_000) }), 413, 'PayloadTooLarge'],
    ['an unknown route', event('GET', '/nope'), 404, 'NotFound'],
    ['a wrong method', event('GET', '/images/score'), 405, 'MethodNotAllowed'],
    ['a malformed event', Buffer.from('{"version":"v1"}'), 400, 'InvalidEvent'],
  ])('answers %s with a 4xx JSON error, before any IMM call', async (_name, fcEvent, status, code) => {
    // Prepare
    const { runtime, immCalls } = fakeRuntime();
    // Act
    const response = await createHandler({ runtime })(fcEvent, context);
    // Assess
    expect(response.statusCode).toBe(status);
    const body = JSON.parse(response.body);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toEqual(expect.any(String));
    expect(immCalls).toEqual([]);
  });

  it.each([
    [new NotFoundError('ObjectNotFound', 'the object does not exist'), 404, 'ObjectNotFound'],
    [new ForbiddenError('AssumeRoleDenied', 'denied', 'fix the trust policy'), 403, 'AssumeRoleDenied'],
  ])('maps the domain error %p to its status', async (error, status, code) => {
    // Prepare
    const { runtime } = fakeRuntime(async () => Promise.reject(error));
    // Act
    const response = await createHandler({ runtime })(event('POST', '/images/score', { uri: 'oss://test-bucket-2024/incoming/a.jpg' }), context);
    // Assess
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body).error).toMatchObject({ code, requestId: 'req-1' });
  });

  it('hides the internals of an unexpected failure', async () => {
    // Prepare
    const { runtime, lines } = fakeRuntime(async () => Promise.reject(new Error('socket hang up at 10.0.0.1 with secret fn-secret')));
    // Act
    const response = await createHandler({ runtime })(event('POST', '/images/score', { uri: 'oss://test-bucket-2024/incoming/a.jpg' }), context);
    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body).error).toEqual({ code: 'InternalError', message: 'internal error', requestId: 'req-1' });
    expect(lines.join('\n')).toContain('socket hang up');
  });
});

describe('api handler: tasks and previews', () => {
  const tokens = { accessToken: 'AT', accessTokenExpiresAt: 'a', refreshToken: 'RT', refreshTokenExpiresAt: 'r', url: 'http://imm/office' };

  function taskRuntime() {
    const calls: { method: string; input: unknown }[] = [];
    const record = <T>(method: string, result: T) => async (input: unknown) => {
      calls.push({ method, input });
      return result;
    };
    const { runtime } = fakeRuntime();
    const withTasks: Runtime = {
      ...runtime,
      imm: async () =>
        fakeImm({
          createMediaConvertTask: record('createMediaConvertTask', { taskId: 'MediaConvert-1', requestId: 'R' }),
          createOfficeConversionTask: record('createOfficeConversionTask', { taskId: 'OfficeConversion-1', requestId: 'R' }),
          generateWebofficeToken: record('generateWebofficeToken', tokens),
          refreshWebofficeToken: record('refreshWebofficeToken', tokens),
          getTask: async (input) => {
            calls.push({ method: 'getTask', input });
            if (input.taskId === 'missing') throw new NotFoundError('ResourceNotFound', 'The specified resource Task is not found.');
            return { taskId: input.taskId, taskType: input.taskType, status: 'Running' };
          },
        }),
    };
    return { runtime: withTasks, calls };
  }

  it.each([
    ['POST', '/media/convert', { uri: 'oss://test-bucket-2024/incoming/a.mov' }, 202, { taskId: 'MediaConvert-1', taskType: 'MediaConvert', target: 'oss://test-bucket-2024/converted/incoming/a.mov.mp4' }],
    ['POST', '/media/convert', { uri: 'oss://test-bucket-2024/incoming/a.wav', container: 'mp3' }, 202, { taskType: 'MediaConvert', target: 'oss://test-bucket-2024/converted/incoming/a.wav.mp3' }],
    ['POST', '/documents/convert', { uri: 'oss://test-bucket-2024/incoming/a.pdf', targetType: 'png' }, 202, { taskId: 'OfficeConversion-1', taskType: 'OfficeConversion', target: 'oss://test-bucket-2024/converted/incoming/a.pdf/' }],
    ['POST', '/documents/preview', { uri: 'oss://test-bucket-2024/incoming/a.pdf', user: { id: 'u1', name: 'Ann' } }, 200, tokens],
    ['POST', '/documents/preview/refresh', { accessToken: 'AT', refreshToken: 'RT' }, 200, tokens],
    ['GET', '/tasks/MediaConvert/MediaConvert-1', undefined, 200, { taskId: 'MediaConvert-1', taskType: 'MediaConvert', status: 'Running' }],
  ])('%s %s answers %#', async (method, path, body, status, expected) => {
    // Prepare
    const { runtime, calls } = taskRuntime();
    // Act
    const response = await createHandler({ runtime })(event(method, path, body), context);
    // Assess
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toMatchObject(expected);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['a bad container', 'POST', '/media/convert', { uri: 'oss://test-bucket-2024/incoming/a.mov', container: 'exe' }, 400, 'InvalidContainer'],
    ['a foreign bucket', 'POST', '/media/convert', { uri: 'oss://other-bucket/incoming/a.mov' }, 403, 'BucketNotAllowed'],
    ['a bad target type', 'POST', '/documents/convert', { uri: 'oss://test-bucket-2024/incoming/a.pdf', targetType: 'docx' }, 400, 'InvalidTargetType'],
    ['a bad document URI', 'POST', '/documents/convert', { uri: 'oss://test-bucket-2024/../a.pdf', targetType: 'pdf' }, 400, 'InvalidUri'],
    ['a bad preview user', 'POST', '/documents/preview', { uri: 'oss://test-bucket-2024/incoming/a.pdf', user: { id: 'not valid!' } }, 400, 'InvalidBody'],
    ['a non-boolean readonly', 'POST', '/documents/preview', { uri: 'oss://test-bucket-2024/incoming/a.pdf', readonly: 'yes' }, 400, 'InvalidBody'],
    ['missing refresh tokens', 'POST', '/documents/preview/refresh', { accessToken: 'AT' }, 400, 'InvalidBody'],
    ['a wrong task type', 'GET', '/tasks/Transcode/abc', undefined, 400, 'InvalidTaskType'],
    ['a bad task id', 'GET', '/tasks/MediaConvert/a%2Fb%20c', undefined, 400, 'InvalidTaskId'],
  ])('refuses %s with a 4xx before any IMM call', async (_name, method, path, body, status, code) => {
    // Prepare
    const { runtime, calls } = taskRuntime();
    // Act
    const response = await createHandler({ runtime })(event(method, path, body), context);
    // Assess
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body).error.code).toBe(code);
    expect(calls).toEqual([]);
  });

  it('answers an unknown task id with 404', async () => {
    // Prepare
    const { runtime } = taskRuntime();
    // Act
    const response = await createHandler({ runtime })(event('GET', '/tasks/OfficeConversion/missing'), context);
    // Assess
    expect(response.statusCode).toBe(404);
  });
});
