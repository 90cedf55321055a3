// Callers send garbage. Property tests over 10,000 generated inputs each: the OSS event parser, the HTTP
// router (every route: score, convert, preview, refresh, tasks) and the URI parser never crash and never
// answer 5xx; bad input always gets a clear 4xx. on-task-done gets 1,000 hostile MNS events.
import { fakeImm } from '../helpers/fakeImm';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createHandler as createApiHandler } from '../../functions/api';
import { createHandler as createTaskDoneHandler } from '../../functions/on-task-done';
import { createHandler as createUploadHandler } from '../../functions/on-upload';
import { loadConfig } from '../../shared/config';
import { AppError, BadRequestError } from '../../shared/errors';
import { parseOssEvent } from '../../shared/fc/ossEvent';
import type { FcContext } from '../../shared/fc/types';
import { createLogger } from '../../shared/log';
import type { SidecarStore } from '../../shared/oss';
import type { Runtime } from '../../shared/runtime';
import { parseOssUri } from '../../shared/uri';
import { createSigningCertificate } from '../../local/mns';
import { createMnsPushVerifier } from '../../shared/mnsPush';

const RUNS = 10_000;
const TOKEN = 'property-token';
const context: FcContext = { requestId: 'req-p', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's', securityToken: 't' }, function: { name: 'fn' } };

const tokens = { url: 'https://office.example/x', accessToken: 'a', accessTokenExpiresAt: 't', refreshToken: 'r', refreshTokenExpiresAt: 't' };

function runtime(): Runtime {
  return {
    config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024', API_TOKENS_SHA256: createHash('sha256').update(TOKEN).digest('hex') }),
    log: createLogger({}, { write: () => undefined }, 'silent'),
    imm: async () =>
      fakeImm({
        detectImageScore: async () => ({ score: 0.5, requestId: 'R' }),
        createMediaConvertTask: async () => ({ taskId: 'MediaConvert-1', requestId: 'R' }),
        createOfficeConversionTask: async () => ({ taskId: 'OfficeConversion-1', requestId: 'R' }),
        generateWebofficeToken: async () => tokens,
        refreshWebofficeToken: async () => tokens,
        getTask: async ({ taskId, taskType }) => ({ taskId, taskType, status: 'Running' }),
      }),
  };
}

const memoryStore = (): SidecarStore => ({
  write: async (_b, key) => `results/${key}.json`,
  read: async () => undefined,
  createClaim: async () => true,
  readClaim: async () => undefined,
  replaceClaim: async () => undefined,
  putPending: async () => undefined,
  deletePending: async () => undefined,
  listPage: async () => ({ keys: [] }),
  head: async () => undefined,
});

/** JSON-ish values biased towards the shapes the parsers look for, so the deep branches are reached. */
const almostOssRecord = fc.record(
  {
    eventName: fc.oneof(fc.constant('ObjectCreated:PutObject'), fc.string(), fc.integer()),
    region: fc.oneof(fc.string(), fc.constant(null)),
    oss: fc.oneof(
      fc.record({
        bucket: fc.oneof(fc.record({ name: fc.oneof(fc.constant('test-bucket-2024'), fc.string()) }), fc.anything()),
        object: fc.oneof(fc.record({ key: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant('incoming/a.jpg')), eTag: fc.string(), size: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] }), fc.anything()),
      }, { requiredKeys: [] }),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

const eventPayload = fc.oneof(
  fc.string().map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.anything().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.array(fc.oneof(almostOssRecord, fc.anything()), { maxLength: 5 }).map((events) => Buffer.from(JSON.stringify({ events }))),
);

describe('OSS event parser under hostile input', () => {
  it(`never throws anything but a 400 and never crashes the handler (${RUNS} inputs)`, async () => {
    // Prepare
    const handler = createUploadHandler({ runtime: runtime(), sidecars: memoryStore });
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(eventPayload, async (payload) => {
        try {
          const parsed = parseOssEvent(payload);
          for (const o of parsed.objects) expect(typeof o.key === 'string' && o.key.length > 0).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequestError);
        }
        const summary = await handler(payload, context);
        expect(summary.processed).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  });
});

/** MNS events whose body is IMM-notification-like JSON with fields of any type, or plain garbage. */
const taskNotificationBody = fc.oneof(
  fc.string(),
  fc
    .record(
      {
        source: fc.oneof(fc.constant('acs.imm'), fc.string()),
        type: fc.oneof(fc.constant('imm:Task:MediaConvert'), fc.string()),
        content: fc.oneof(
          fc.jsonValue(),
          fc
            .record(
              {
                ProjectName: fc.oneof(fc.constant('immtest'), fc.string(), fc.integer()),
                TaskType: fc.oneof(fc.constant('MediaConvert'), fc.constant('OfficeConversion'), fc.string()),
                TaskId: fc.oneof(fc.constant('MediaConvert-1'), fc.string()),
                Status: fc.oneof(fc.constant('Succeeded'), fc.constant('Failed'), fc.string()),
                UserData: fc.oneof(fc.constant('{"source":"oss://test-bucket-2024/incoming/a.mp4"}'), fc.string(), fc.jsonValue()),
              },
              { requiredKeys: [] },
            )
            .map((c) => JSON.stringify(c)),
        ),
      },
      { requiredKeys: [] },
    )
    .map((m) => JSON.stringify(m)),
);
const mnsPayload = fc.oneof(
  taskNotificationBody.map((body) => Buffer.from(JSON.stringify({ TopicName: 'imm-bridge-task-done', MessageId: 'M', Message: body }))),
  taskNotificationBody.map((body) => Buffer.from(body)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

describe('on-task-done under hostile input', () => {
  it(`never crashes and never asks for re-delivery of a message that cannot succeed (${RUNS / 10} inputs)`, async () => {
    // Prepare: IMM knows every task as succeeded for an upload whose sidecar is already final.
    const imm = fakeImm({ getTask: async ({ taskId, taskType }) => ({ taskId, taskType, status: 'Succeeded', userData: '{"source":"oss://test-bucket-2024/incoming/a.mp4"}' }) });
    const handler = createTaskDoneHandler({
      runtime: { ...runtime(), imm: async () => imm },
      sidecars: () => ({ ...memoryStore(), read: async () => ({ source: 'oss://test-bucket-2024/incoming/a.mp4', operation: 'CreateMediaConvertTask', status: 'succeeded', taskId: 'MediaConvert-1', processedAt: 'x' }) }),
    });
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(mnsPayload, async (payload) => {
        const result = await handler(payload, context);
        expect(['rejected', 'ignored']).toContain(result.status);
      }),
      { numRuns: RUNS / 10 },
    );
  });
});

describe('HTTP router under hostile input', () => {
  const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), fc.string());
  const path = fc.oneof(
    fc.constantFrom('/healthz', '/images/score', '/images/score/', '/', '//images//score', '/images/%2e%2e/score'),
    fc.constantFrom('/media/convert', '/documents/convert', '/documents/preview', '/documents/preview/refresh', '/tasks/MediaConvert/MediaConvert-1', '/tasks/Transcode/x', '/tasks/OfficeConversion/..%2F..', '/tasks//'),
    fc.string().map((id) => `/tasks/MediaConvert/${id}`),
    fc.webPath(),
    fc.string(),
  );
  const uri = fc.oneof(
    fc.constantFrom('oss://test-bucket-2024/incoming/a.jpg', 'oss://', 'oss://test-bucket-2024/../x', 'oss://test-bucket-2024/', 'http://x/y'),
    fc.string({ unit: 'binary' }).map((k: string) => `oss://test-bucket-2024/${k}`),
    fc.string().map((b) => `oss://${b}/k`),
    fc.anything(),
  );
  const body = fc.oneof(
    fc.record({ uri }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
    fc
      .record(
        {
          uri,
          container: fc.oneof(fc.constantFrom('mp4', 'mp3', 'avi'), fc.anything()),
          targetType: fc.oneof(fc.constantFrom('png', 'pdf', 'docx'), fc.anything()),
          readonly: fc.anything(),
          user: fc.oneof(fc.record({ id: fc.string(), name: fc.anything() }, { requiredKeys: [] }), fc.anything()),
          accessToken: fc.oneof(fc.string(), fc.anything()),
          refreshToken: fc.oneof(fc.string({ maxLength: 5000 }), fc.anything()),
        },
        { requiredKeys: [] },
      )
      .map((b) => JSON.stringify(b)),
    fc.string(),
    fc.anything().map((v) => JSON.stringify(v) ?? ''),
    fc.constant('x'.repeat(17 * 1024)),
  );
  const headers = fc.record(
    {
      authorization: fc.oneof(fc.constant(`Bearer ${TOKEN}`), fc.string(), fc.constant('Bearer ')),
      'content-type': fc.oneof(fc.constant('application/json'), fc.string()),
    },
    { requiredKeys: [] },
  );
  const event = fc.oneof(
    fc.record({ method, path, headers, body, isBase64Encoded: fc.boolean() }).map((e) =>
      Buffer.from(JSON.stringify({ version: 'v1', rawPath: e.path, headers: e.headers, queryParameters: {}, body: e.body, isBase64Encoded: e.isBase64Encoded, requestContext: { requestId: 'r', http: { method: e.method, path: e.path } } })),
    ),
    fc.anything().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  );

  it(`answers every request with a JSON body and a status below 500 (${RUNS} inputs)`, async () => {
    // Prepare
    const handler = createApiHandler({ runtime: runtime() });
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(event, async (fcEvent) => {
        const response = await handler(fcEvent, context);
        expect(response.statusCode).toBeGreaterThanOrEqual(200);
        expect(response.statusCode).toBeLessThan(500);
        const parsed = JSON.parse(response.body);
        if (response.statusCode >= 400) expect(parsed.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers an oversized body with 413', async () => {
    // Prepare
    const handler = createApiHandler({ runtime: runtime() });
    const big = JSON.stringify({ uri: 'oss://test-bucket-2024/incoming/a.jpg', pad: 'x'.repeat(64 * 1024) });
    const fcEvent = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/images/score', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, queryParameters: {}, body: big, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/images/score' } } }));
    // Act
    const response = await handler(fcEvent, context);
    // Assess
    expect(response.statusCode).toBe(413);
  });
});

describe('MNS push route under hostile input', () => {
  const certificate = createSigningCertificate();
  const PREFIX = 'https://mnstest.oss-cn-hangzhou.aliyuncs.com/';
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const certUrl = fc.oneof(
    fc.constant(b64(`${PREFIX}cert.pem`)),
    fc.string().map((name) => b64(`${PREFIX}${name}`)),
    fc.webUrl().map(b64),
    fc.string(),
  );
  const body = fc.oneof(
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ Message: fc.oneof(fc.string(), fc.jsonValue()), MessageMD5: fc.string(), MessageId: fc.string() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.tuple(fc.string(), fc.string()).map(([m, md5]) => `<?xml version="1.0"?><Notification><Message>${m}</Message><MessageMD5>${md5}</MessageMD5></Notification>`),
  );
  const headers = fc.record(
    {
      authorization: fc.oneof(fc.base64String(), fc.string()),
      'content-md5': fc.oneof(fc.base64String(), fc.string(), fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a).toString('hex'))),
      'content-type': fc.constantFrom('text/xml;charset=utf-8', 'application/json', 'text/plain'),
      date: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()), fc.string()),
      'x-mns-signing-cert-url': certUrl,
      'x-mns-message-id': fc.string(),
    },
    { requiredKeys: [] },
  );

  it(`answers every forged push 4xx and writes no sidecar (${RUNS / 10} inputs)`, async () => {
    // Prepare
    let writes = 0;
    const handler = createApiHandler({
      runtime: runtime(),
      sidecars: () => ({ ...memoryStore(), write: async () => `${++writes}` }),
      mnsPush: createMnsPushVerifier({ allowedPrefixes: [PREFIX], fetch: async (url) => (url === `${PREFIX}cert.pem` ? new Response(certificate.pem) : new Response('NoSuchKey', { status: 404 })) }),
    });
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(headers, body, fc.boolean(), async (h, b, base64) => {
        const event = { version: 'v1', rawPath: '/notifications/imm', headers: h, body: base64 ? Buffer.from(b).toString('base64') : b, isBase64Encoded: base64, requestContext: { requestId: 'r', http: { method: 'POST', path: '/notifications/imm' } } };
        const response = await handler(Buffer.from(JSON.stringify(event)), context);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(JSON.parse(response.body).error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      }),
      { numRuns: RUNS / 10 },
    );
    expect(writes).toBe(0);
  });
});

describe('URI parser under hostile input', () => {
  it(`accepts or refuses with a 400, and never lets a traversal through (${RUNS} inputs)`, () => {
    // Prepare
    const segment = fc.oneof(fc.constantFrom('..', '.', 'incoming', 'a b', '+', '%2e%2e', '中文', ''), fc.string());
    const uri = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.array(segment, { maxLength: 6 }).map((parts) => `oss://test-bucket-2024/${parts.join('/')}`),
      fc.tuple(fc.string(), fc.string()).map(([b, k]) => `oss://${b}/${k}`),
    );
    // Act / Assess
    fc.assert(
      fc.property(uri, (input) => {
        try {
          const location = parseOssUri(input);
          expect(location.key.split(/[/\\]/)).not.toContain('..');
          expect(Buffer.byteLength(location.key)).toBeLessThanOrEqual(1023);
          expect(`oss://${location.bucket}/${location.key}`).toBe(input);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).statusCode).toBe(400);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
