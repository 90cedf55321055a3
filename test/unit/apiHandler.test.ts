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

function fakeRuntime(detect: ImmClient['detectImageScore'] = async () => ({ score: 0.42, requestId: 'R1' }), env: Record<string, string> = {}) {
  const immCalls: string[] = [];
  const lines: string[] = [];
  const runtime: Runtime = {
    config: loadConfig({
      IMM_PROJECT: 'immtest',
      REGION: 'cn-hangzhou',
      ALLOWED_BUCKETS: 'test-bucket-2024',
      API_TOKENS_SHA256: createHash('sha256').update(TOKEN).digest('hex'),
      ...env,
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

  function taskRuntime(env: Record<string, string> = {}) {
    const calls: { method: string; input: unknown }[] = [];
    const record = <T>(method: string, result: T) => async (input: unknown) => {
      calls.push({ method, input });
      return result;
    };
    const { runtime, lines } = fakeRuntime(undefined, env);
    const withTasks: Runtime = {
      ...runtime,
      // Asking for the client is what assumes the operator role (STS): recorded as a call of its own.
      imm: async () => {
        calls.push({ method: 'credentials', input: undefined });
        return fakeImm({
          createMediaConvertTask: record('createMediaConvertTask', { taskId: 'MediaConvert-1', requestId: 'R' }),
          createOfficeConversionTask: record('createOfficeConversionTask', { taskId: 'OfficeConversion-1', requestId: 'R' }),
          generateWebofficeToken: record('generateWebofficeToken', tokens),
          refreshWebofficeToken: record('refreshWebofficeToken', tokens),
          getTask: async (input) => {
            calls.push({ method: 'getTask', input });
            if (input.taskId === 'missing') throw new NotFoundError('ResourceNotFound', 'The specified resource Task is not found.');
            return { taskId: input.taskId, taskType: input.taskType, status: 'Running' };
          },
        });
      },
    };
    return { runtime: withTasks, calls, lines };
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
    expect(calls.map((c) => c.method).filter((m) => m !== 'credentials')).toHaveLength(1);
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

describe('api handler: scope and editable previews (issue 11)', () => {
  const tokens = { accessToken: 'AT-secret', accessTokenExpiresAt: 'a', refreshToken: 'RT-secret', refreshTokenExpiresAt: 'r', url: 'http://imm/office' };

  function scopedRuntime(env: Record<string, string> = {}) {
    const calls: { method: string; input: unknown }[] = [];
    const record = <T>(method: string, result: T) => async (input: unknown) => {
      calls.push({ method, input });
      return result;
    };
    const { runtime, lines } = fakeRuntime(undefined, env);
    const scoped: Runtime = {
      ...runtime,
      imm: async () => {
        calls.push({ method: 'credentials', input: undefined });
        return fakeImm({
          detectImageScore: record('detectImageScore', { score: 0.5, requestId: 'R' }),
          createMediaConvertTask: record('createMediaConvertTask', { taskId: 'MediaConvert-1', requestId: 'R' }),
          createOfficeConversionTask: record('createOfficeConversionTask', { taskId: 'OfficeConversion-1', requestId: 'R' }),
          generateWebofficeToken: record('generateWebofficeToken', tokens),
        });
      },
    };
    return { runtime: scoped, calls, lines };
  }

  const routesWithUri: [string, Record<string, unknown>][] = [
    ['/images/score', {}],
    ['/media/convert', {}],
    ['/documents/convert', { targetType: 'txt' }],
    ['/documents/preview', {}],
  ];

  it.each(routesWithUri)('POST %s refuses a key outside API_PREFIXES with 403 before credentials or IMM', async (path, extra) => {
    // Prepare
    const { runtime, calls } = scopedRuntime();
    // Act
    const response = await createHandler({ runtime })(event('POST', path, { uri: 'oss://test-bucket-2024/private/secret.pdf', ...extra }), context);
    // Assess
    expect(response.statusCode).toBe(403);
    const { error } = JSON.parse(response.body);
    expect(error).toMatchObject({ code: 'KeyNotAllowed', message: expect.stringContaining('`private/secret.pdf`'), hint: expect.stringContaining('API_PREFIXES') });
    expect(calls).toEqual([]);
  });

  it.each(routesWithUri)('POST %s serves a key under an extra API prefix', async (path, extra) => {
    // Prepare
    const { runtime, calls } = scopedRuntime({ API_PREFIXES: 'incoming/,shared/' });
    // Act
    const response = await createHandler({ runtime })(event('POST', path, { uri: 'oss://test-bucket-2024/shared/a.pdf', ...extra }), context);
    // Assess
    expect(response.statusCode).toBeLessThan(300);
    expect(calls.map((c) => c.method)).toEqual(['credentials', expect.any(String)]);
  });

  it('refuses `readonly: false` with 403 and a hint unless PREVIEW_ALLOW_EDIT=on', async () => {
    // Prepare
    const { runtime, calls } = scopedRuntime();
    // Act
    const response = await createHandler({ runtime })(event('POST', '/documents/preview', { uri: 'oss://test-bucket-2024/incoming/a.docx', readonly: false }), context);
    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error).toMatchObject({ code: 'PreviewEditNotAllowed', hint: expect.stringContaining('PREVIEW_ALLOW_EDIT=on') });
    expect(calls).toEqual([]);
  });

  it('grants an editable preview with PREVIEW_ALLOW_EDIT=on, and logs the key without the tokens', async () => {
    // Prepare
    const { runtime, calls, lines } = scopedRuntime({ PREVIEW_ALLOW_EDIT: 'on' });
    // Act
    const response = await createHandler({ runtime })(event('POST', '/documents/preview', { uri: 'oss://test-bucket-2024/incoming/a.docx', readonly: false, user: { id: 'u7' } }), context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls[1]).toEqual({ method: 'generateWebofficeToken', input: expect.objectContaining({ readonly: false }) });
    const granted = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'editable preview granted');
    expect(granted).toMatchObject({ level: 'info', bucket: 'test-bucket-2024', key: 'incoming/a.docx', user: 'u7' });
    expect(lines.join('\n')).not.toMatch(/AT-secret|RT-secret/);
  });

  it('keeps a read-only preview unlogged as an edit, whatever PREVIEW_ALLOW_EDIT says', async () => {
    // Prepare
    const { runtime, calls, lines } = scopedRuntime({ PREVIEW_ALLOW_EDIT: 'on' });
    // Act
    const response = await createHandler({ runtime })(event('POST', '/documents/preview', { uri: 'oss://test-bucket-2024/incoming/a.docx' }), context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls[1].input).toMatchObject({ readonly: true });
    expect(lines.join('\n')).not.toContain('editable preview granted');
  });
});

describe('api handler: the token before the body (issue 11)', () => {
  /** An FC event whose body literal is given raw, as bytes of the event JSON. */
  function rawEvent(bodyLiteral: string, authorization?: string): Buffer {
    const headers = JSON.stringify({ 'content-type': 'application/json', ...(authorization ? { authorization } : {}) });
    return Buffer.from(
      `{"version":"v1","rawPath":"/images/score","headers":${headers},"queryParameters":{},"body":${bodyLiteral},"isBase64Encoded":false,` +
        `"requestContext":{"requestId":"req-1","http":{"method":"POST","path":"/images/score"}}}`,
    );
  }

  it('answers 401 without decoding the body, which only a token holder gets decoded (400)', async () => {
    // Prepare: `\q` is no JSON escape, so decoding the body would fail.
    const { runtime, immCalls } = fakeRuntime();
    const handler = createHandler({ runtime });
    // Act
    const anonymous = await handler(rawEvent('"\\q"'), context);
    const wrongToken = await handler(rawEvent('"\\q"', 'Bearer nope'), context);
    const holder = await handler(rawEvent('"\\q"', `Bearer ${TOKEN}`), context);
    // Assess
    expect([anonymous.statusCode, wrongToken.statusCode]).toEqual([401, 401]);
    expect(holder.statusCode).toBe(400);
    expect(JSON.parse(holder.body).error.code).toBe('InvalidEvent');
    expect(immCalls).toEqual([]);
  });

  it('decodes and parses no more than the event head before the token check of a 10 MB request', async () => {
    // Prepare
    const { runtime } = fakeRuntime();
    const handler = createHandler({ runtime });
    const big = event('POST', '/images/score', { uri: 'oss://test-bucket-2024/incoming/a.jpg', pad: 'é"\\'.repeat(1_000_000) }, { authorization: 'Bearer nope' });
    const parse = jest.spyOn(JSON, 'parse');
    const toString = jest.spyOn(Buffer.prototype, 'toString');
    try {
      // Act
      const response = await handler(big, context);
      // Assess
      expect(response.statusCode).toBe(401);
      const parsed = parse.mock.calls.map(([text]) => String(text).length);
      expect(Math.max(...parsed)).toBeLessThan(4096);
      // Bytes decoded per call: toString(encoding, start, end) decodes only its range.
      const decoded = toString.mock.calls.map((args, i) => {
        const [, start, end] = args as unknown as [string?, number?, number?];
        return (end ?? (toString.mock.contexts[i] as Buffer).length) - (start ?? 0);
      });
      expect(decoded.filter((n) => n >= 4096)).toEqual([]);
    } finally {
      parse.mockRestore();
      toString.mockRestore();
    }
  });

  it('still reads the same request for a token holder', async () => {
    // Prepare
    const { runtime, immCalls } = fakeRuntime();
    // Act
    const response = await createHandler({ runtime })(event('POST', '/images/score', { uri: 'oss://test-bucket-2024/incoming/é "a".jpg' }), context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(immCalls).toEqual(['oss://test-bucket-2024/incoming/é "a".jpg']);
  });
});
