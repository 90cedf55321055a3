// Verifying MNS HTTP pushes (shared/mnsPush) against pushes signed by the offline MNS (local/mns, written from
// the MNS docs independently) and against a push MNS itself signed; then the api's POST /notifications/imm with
// a fake IMM and an in-memory sidecar store. No sockets: certificates come from an injected fetch.
import { createHash, generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { createHandler } from '../../functions/api';
import { createSigningCertificate, HttpPusher, type HttpSubscription, type PushContentFormat } from '../../local/mns';
import { Telemetry } from '../../local/telemetry';
import { loadConfig, MNS_CERT_URL_PREFIX } from '../../shared/config';
import type { FcContext } from '../../shared/fc/types';
import type { TaskInfo } from '../../shared/imm';
import { createLogger } from '../../shared/log';
import { createMnsPushVerifier, stringToSign, type FetchLike, type PushRequest } from '../../shared/mnsPush';
import { verifySignature } from '../../shared/mnsPush/signature';
import type { Sidecar, SidecarStore } from '../../shared/oss';
import type { Runtime } from '../../shared/runtime';
import { receiveTaskPush } from '../../shared/taskPush';
import { fakeImm } from '../helpers/fakeImm';

const PREFIX = 'https://mnstest.oss-cn-hangzhou.aliyuncs.com/';
const CERT_URL = `${PREFIX}x509_public_certificate.pem`;
const certificate = createSigningCertificate();

function subscription(format: PushContentFormat): HttpSubscription {
  return { topicOwner: '2000000000000002', topicName: 'imm-bridge-task-done', subscriptionName: 'imm-bridge-api', endpoint: 'https://api.example.com/notifications/imm', notifyContentFormat: format, notifyStrategy: 'BACKOFF_RETRY' };
}

/** A push as the offline MNS signs it, as the api sees it. */
function push(format: PushContentFormat, body = 'hello', certificateUrl = CERT_URL): PushRequest {
  const pusher = new HttpPusher({ telemetry: new Telemetry(), privateKey: certificate.privateKey, certificateUrl });
  const signed = pusher.request(subscription(format), { messageId: 'M1', body, tag: 'imm', publishTime: 1700000000000 });
  return { method: 'POST', path: '/notifications/imm', headers: signed.headers, body: Buffer.from(signed.body) };
}

/** Re-signs a request after a test changed it, the way doc-detail/27488 says, with `key`. */
function resign(request: PushRequest, key = certificate.privateKey): PushRequest {
  const md5 = createHash('md5').update(request.body).digest('hex');
  const headers = { ...request.headers, 'content-md5': Buffer.from(md5).toString('base64') };
  const authorization = sign('sha1', Buffer.from(stringToSign({ ...request, headers })), key).toString('base64');
  return { ...request, headers: { ...headers, authorization } };
}

function fetchFrom(files: Record<string, string | number>): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (url) => {
      urls.push(url);
      const file = files[url];
      if (typeof file === 'number') return new Response('error', { status: file });
      if (file === undefined) return new Response('NoSuchKey', { status: 404 });
      return new Response(file, { status: 200 });
    },
  };
}

const verifier = (files: Record<string, string | number> = { [CERT_URL]: certificate.pem }, prefixes: readonly string[] = [PREFIX]) => {
  const fake = fetchFrom(files);
  return { ...fake, verifier: createMnsPushVerifier({ allowedPrefixes: prefixes, fetch: fake.fetch }) };
};

describe('MNS push verification', () => {
  it('accepts a push MNS itself signed (a SIMPLIFIED push captured in 2023, with its certificate)', () => {
    // Prepare: the headers, path and signature of the capture; its body is not public, so only the signature is checked.
    const mnsCertificate = new X509Certificate(REAL_MNS_CERTIFICATE);
    const request: PushRequest = {
      method: 'POST',
      path: '/notifications',
      body: Buffer.alloc(0),
      headers: {
        authorization: 'LP3cxoTCbhsiLJi0KQdEiRaufaxMfWUdLH064yoVoKl8xNcY+299itGmGsirVMY8vDpuZ1VwS0Uw7R5dNduSXg==',
        'content-md5': '4CCBAD7AF2D23C2D00DDECCA59323A8C',
        'content-type': 'text/plain;charset=utf-8',
        date: 'Wed, 29 Mar 2023 08:41:27 GMT',
        'x-mns-message-id': '250EB49D5F8D737A391C93C6ED165396',
        'x-mns-publish-time': '1680079287576',
        'x-mns-request-id': '6423F9B7BF94313030AF5EA0',
        'x-mns-signing-cert-url': 'aHR0cHM6Ly9tbnN0ZXN0Lm9zcy1jbi1oYW5nemhvdS5hbGl5dW5jcy5jb20veDUwOV9wdWJsaWNfY2VydGlmaWNhdGUucGVt',
        'x-mns-subscriber': '1321669497458181',
        'x-mns-subscription-name': 'mns-en-subs-oss-fecdn-internal-pre-1-22849529855680',
        'x-mns-topic-name': 'mns-en-topics-oss-fecdn-internal-pre-22849529792243',
        'x-mns-topic-owner': '1321669497458181',
        'x-mns-version': '2015-06-06',
      },
    };
    // Act / Assess
    expect(() => verifySignature(request, mnsCertificate.publicKey)).not.toThrow();
    expect(() => verifySignature({ ...request, path: '/notifications/other' }, mnsCertificate.publicKey)).toThrow(expect.objectContaining({ code: 'MnsSignatureInvalid', statusCode: 403 }));
  });

  it.each(['JSON', 'XML', 'SIMPLIFIED'] as const)('returns the message of a good %s push, fetching the certificate once per URL', async (format) => {
    // Prepare
    const { verifier: v, urls } = verifier();
    const message = '{"a":"x & <y> \'z\'","n":1}';
    // Act
    const first = await v.verify(push(format, message));
    const second = await v.verify(push(format, message));
    // Assess
    expect(first).toMatchObject({ format, body: message, messageId: 'M1', topicName: 'imm-bridge-task-done', tag: 'imm' });
    expect(second.body).toBe(message);
    expect(urls).toEqual([CERT_URL]);
  });

  it('refuses a push signed by another key (bad signature) with 403', async () => {
    // Prepare
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const forged = resign(push('JSON'), other);
    // Act / Assess
    await expect(verifier().verifier.verify(forged)).rejects.toMatchObject({ code: 'MnsSignatureInvalid', statusCode: 403, hint: expect.stringContaining('MNS') });
  });

  it('refuses a certificate URL outside the allowed prefixes without fetching it', async () => {
    // Prepare
    const { verifier: v, urls } = verifier({ 'https://evil.example/cert.pem': certificate.pem });
    const tricks = ['https://evil.example/cert.pem', 'https://mnstest.oss-cn-hangzhou.aliyuncs.com.evil.example/c.pem', 'https://mnstest.oss-cn-hangzhou.aliyuncs.com@evil.example/c.pem', 'HTTPS://MNSTEST.OSS-CN-HANGZHOU.ALIYUNCS.COM/c.pem', 'https://evil.example/?https://mnstest.oss-cn-hangzhou.aliyuncs.com/'];
    // Act / Assess
    for (const url of tricks) {
      await expect(v.verify(push('JSON', 'hello', url))).rejects.toMatchObject({ code: 'MnsCertificateUrlNotAllowed', statusCode: 403 });
    }
    expect(urls).toEqual([]);
  });

  it('refuses an http certificate URL with the default prefixes (https only)', async () => {
    // Prepare
    const httpUrl = 'http://mnstest.oss-cn-hangzhou.aliyuncs.com/x509_public_certificate.pem';
    const { verifier: v, urls } = verifier({ [httpUrl]: certificate.pem }, loadConfig({ IMM_PROJECT: 'p', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024' }).mnsCertUrlPrefixes);
    // Act / Assess
    expect(MNS_CERT_URL_PREFIX).toBe(PREFIX);
    await expect(v.verify(push('JSON', 'hello', httpUrl))).rejects.toMatchObject({ code: 'MnsCertificateUrlNotAllowed', statusCode: 403 });
    expect(urls).toEqual([]);
  });

  it('refuses a body changed after signing (Content-MD5 no longer matches) with 403', async () => {
    // Prepare
    const signed = push('JSON', '{"Status":"Failed"}');
    const changed = { ...signed, body: Buffer.from(signed.body.toString('utf8').replace('Failed', 'Succeeded')) };
    // Act / Assess
    await expect(verifier().verifier.verify(changed)).rejects.toMatchObject({ code: 'MnsBodyMismatch', statusCode: 403 });
  });

  it.each(['JSON', 'XML'] as const)('refuses a signed %s envelope whose MessageMD5 does not match its Message with 400', async (format) => {
    // Prepare
    const signed = push(format, 'hello');
    const tampered = resign({ ...signed, body: Buffer.from(signed.body.toString('utf8').replace('5D41402ABC4B2A76B9719D911017C592', '00000000000000000000000000000000')) });
    // Act / Assess
    await expect(verifier().verifier.verify(tampered)).rejects.toMatchObject({ code: 'MnsMessageMd5Mismatch', statusCode: 400 });
  });

  it.each([
    ['no Authorization', (r: PushRequest) => ({ ...r, headers: { ...r.headers, authorization: '' } })],
    ['no Date', (r: PushRequest) => ({ ...r, headers: { ...r.headers, date: '' } })],
    ['no certificate URL', (r: PushRequest) => ({ ...r, headers: { ...r.headers, 'x-mns-signing-cert-url': '' } })],
    ['no Content-MD5', (r: PushRequest) => ({ ...r, headers: { ...r.headers, 'content-md5': '' } })],
    ['a GET', (r: PushRequest) => ({ ...r, method: 'GET' })],
    ['a DOCTYPE in the XML body', (r: PushRequest) => resign({ ...r, body: Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Notification><Message>&a;</Message></Notification>') })],
    ['a body that is neither XML nor JSON', (r: PushRequest) => resign({ ...r, body: Buffer.from('hello') })],
  ])('refuses a push with %s as malformed (400)', async (_name, change) => {
    // Act / Assess
    await expect(verifier().verifier.verify(change(push('JSON')))).rejects.toMatchObject({ statusCode: 400 });
  });

  it('answers 502 when the certificate cannot be fetched and does not cache the failure; 403 when it does not exist', async () => {
    // Prepare
    let down = true;
    const urls: string[] = [];
    const v = createMnsPushVerifier({
      allowedPrefixes: [PREFIX],
      fetch: async (url) => {
        urls.push(url);
        if (down) throw new TypeError('fetch failed');
        return new Response(certificate.pem);
      },
    });
    const missing = verifier({}).verifier;
    // Act
    const failed = v.verify(push('JSON'));
    await expect(failed).rejects.toMatchObject({ code: 'MnsCertificateUnavailable', statusCode: 502, retryable: true });
    down = false;
    const recovered = await v.verify(push('JSON'));
    // Assess
    expect(recovered.body).toBe('hello');
    expect(urls).toEqual([CERT_URL, CERT_URL]);
    await expect(missing.verify(push('JSON'))).rejects.toMatchObject({ code: 'MnsCertificateNotFound', statusCode: 403 });
  });

  it('remembers a missing certificate for a while, so repeated pushes naming it fetch it once', async () => {
    // Prepare
    const { verifier: v, urls } = verifier({});
    // Act
    for (let i = 0; i < 5; i++) await expect(v.verify(push('JSON'))).rejects.toMatchObject({ code: 'MnsCertificateNotFound' });
    // Assess
    expect(urls).toEqual([CERT_URL]);
  });

  it('refuses a certificate over the size cap, or one that is not X.509', async () => {
    // Prepare
    const big = verifier({ [CERT_URL]: 'x'.repeat(70 * 1024) }).verifier;
    const junk = verifier({ [CERT_URL]: 'not a certificate' }).verifier;
    // Act / Assess
    await expect(big.verify(push('JSON'))).rejects.toMatchObject({ code: 'MnsCertificateInvalid', statusCode: 403 });
    await expect(junk.verify(push('JSON'))).rejects.toMatchObject({ code: 'MnsCertificateInvalid', statusCode: 403 });
  });
});

describe('POST /notifications/imm', () => {
  const SOURCE = 'oss://test-bucket-2024/incoming/v/clip.mp4';
  const USER_DATA = JSON.stringify({ source: SOURCE, eTag: 'E1' });
  const context: FcContext = { requestId: 'req-1', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's', securityToken: 't' }, function: { name: 'api' } };
  const submitted: Sidecar = { source: SOURCE, operation: 'CreateMediaConvertTask', status: 'submitted', taskId: 'MediaConvert-1', taskType: 'MediaConvert', eTag: 'E1', processedAt: '2026-12-02T00:00:00.000Z' };
  const immMessage = JSON.stringify({
    id: 'msg-1',
    source: 'acs.imm',
    type: 'imm:Task:MediaConvert',
    content: JSON.stringify({ ProjectName: 'immtest', TaskType: 'MediaConvert', TaskId: 'MediaConvert-1', Status: 'Succeeded', UserData: USER_DATA }),
  });

  function setup(status: TaskInfo['status']) {
    const sidecars = new Map<string, Sidecar>([['test-bucket-2024/incoming/v/clip.mp4', submitted]]);
    const runtime: Runtime = {
      config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024', API_TOKENS_SHA256: 'a'.repeat(64) }),
      log: createLogger({}, { write: () => undefined }, 'silent'),
      imm: async () => fakeImm({ getTask: async () => ({ taskId: 'MediaConvert-1', taskType: 'MediaConvert', status, userData: USER_DATA }) }),
    };
    const store: SidecarStore = {
      write: async (bucket, key, sidecar) => {
        sidecars.set(`${bucket}/${key}`, sidecar);
        return `results/${key}.json`;
      },
      read: async (bucket, key) => sidecars.get(`${bucket}/${key}`),
      createClaim: async () => true,
      readClaim: async () => undefined,
      replaceClaim: async () => undefined,
      // taskDone clears the task's pending marker once its outcome is recorded; the route's status mapping is what matters here.
      putPending: async () => undefined,
      deletePending: async () => undefined,
      listPage: async () => ({ keys: [] }),
      head: async () => undefined,
    };
    const handler = createHandler({ runtime, sidecars: () => store, mnsPush: verifier().verifier });
    const call = (request: PushRequest) =>
      handler(
        Buffer.from(JSON.stringify({ version: 'v1', rawPath: request.path, headers: request.headers, body: request.body.toString('base64'), isBase64Encoded: true, requestContext: { requestId: 'r', http: { method: request.method, path: request.path } } })),
        context,
      );
    return { call, sidecars };
  }

  it('acknowledges a genuine push with 204 (no bearer token) and makes the sidecar succeeded', async () => {
    // Prepare
    const { call, sidecars } = setup('Succeeded');
    // Act
    const response = await call(push('JSON', immMessage));
    const again = await call(push('XML', immMessage));
    // Assess
    expect(response).toMatchObject({ statusCode: 204, body: '' });
    expect(again.statusCode).toBe(204);
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')).toMatchObject({ status: 'succeeded', taskId: 'MediaConvert-1' });
  });

  it('answers 503 while IMM still runs the task, so that MNS pushes again', async () => {
    // Prepare
    const { call, sidecars } = setup('Running');
    // Act
    const response = await call(push('SIMPLIFIED', immMessage));
    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('TaskNotSettled');
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')?.status).toBe('submitted');
  });

  it('acknowledges a signed message that is not an IMM notification (a retry could not help)', async () => {
    // Prepare
    const { call } = setup('Succeeded');
    // Act
    const response = await call(push('JSON', 'not json'));
    // Assess
    expect(response.statusCode).toBe(204);
  });

  it('acknowledges and drops a genuinely signed push from another topic, without asking IMM', async () => {
    // Prepare: the project's account is the operator role's; MNS signs pushes of any account's topic.
    let getTaskCalls = 0;
    const sidecars = new Map<string, Sidecar>([['test-bucket-2024/incoming/v/clip.mp4', submitted]]);
    const runtime: Runtime = {
      config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024', IMM_NOTIFY_TOPIC: 'imm-bridge-task-done', IMM_ROLE_ARN: 'acs:ram::3000000000000003:role/imm-bridge-operator' }),
      log: createLogger({}, { write: () => undefined }, 'silent'),
      imm: async () => fakeImm({ getTask: async () => (getTaskCalls++, { taskId: 'MediaConvert-1', taskType: 'MediaConvert', status: 'Succeeded', userData: USER_DATA }) }),
    };
    const store = { read: async (bucket: string, key: string) => sidecars.get(`${bucket}/${key}`) } as unknown as SidecarStore;
    const invocation = { credentials: { accessKeyId: 'k', accessKeySecret: 's' }, log: runtime.log };
    const message = (topicOwner: string, topicName: string) => ({ format: 'JSON' as const, messageId: 'M1', body: immMessage, topicOwner, topicName });
    // Act
    const otherAccount = await receiveTaskPush(message('2000000000000002', 'imm-bridge-task-done'), runtime, invocation, store);
    const otherTopic = await receiveTaskPush(message('3000000000000003', 'someone-elses-topic'), runtime, invocation, store);
    // Assess
    expect(otherAccount).toMatchObject({ status: 'rejected', reason: expect.stringContaining('account 2000000000000002') });
    expect(otherTopic).toMatchObject({ status: 'rejected', reason: expect.stringContaining('is not IMM_NOTIFY_TOPIC') });
    expect(getTaskCalls).toBe(0);
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')?.status).toBe('submitted');
  });

  it('refuses a forged push with 403 and changes no sidecar', async () => {
    // Prepare
    const { call, sidecars } = setup('Succeeded');
    const forged = resign(push('JSON', immMessage), generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey);
    // Act
    const response = await call(forged);
    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error).toMatchObject({ code: 'MnsSignatureInvalid', hint: expect.any(String) });
    expect(sidecars.get('test-bucket-2024/incoming/v/clip.mp4')?.status).toBe('submitted');
  });
});

/** The certificate MNS signed pushes with (O=Aliyun, OU=Mns, CN=notify; 512-bit RSA, expired 2016, still used in 2023). */
const REAL_MNS_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIICiDCCAjKgAwIBAgIJAL+acWZrTrlfMA0GCSqGSIb3DQEBBQUAMGMxCzAJBgNV
BAYTAjg2MREwDwYDVQQIEwhaaGVqaWFuZzERMA8GA1UEBxMISGFuZ3pob3UxDzAN
BgNVBAoTBkFsaXl1bjEMMAoGA1UECxMDTW5zMQ8wDQYDVQQDEwZub3RpZnkwHhcN
MTUwNzAyMDIwNjE2WhcNMTYwNzAxMDIwNjE2WjBjMQswCQYDVQQGEwI4NjERMA8G
A1UECBMIWmhlamlhbmcxETAPBgNVBAcTCEhhbmd6aG91MQ8wDQYDVQQKEwZBbGl5
dW4xDDAKBgNVBAsTA01uczEPMA0GA1UEAxMGbm90aWZ5MFwwDQYJKoZIhvcNAQEB
BQADSwAwSAJBALX0sFVowct1NAQjDyYSUf0rp1rOHLkz4kp0zNWcDyXMXa5PzsPU
UwJXaLwhvNCDLLWuiLK6Oh5elmOmL8Gy/5MCAwEAAaOByDCBxTAdBgNVHQ4EFgQU
kEah2o9HpCUCxhN/fY3kUtPkP4owgZUGA1UdIwSBjTCBioAUkEah2o9HpCUCxhN/
fY3kUtPkP4qhZ6RlMGMxCzAJBgNVBAYTAjg2MREwDwYDVQQIEwhaaGVqaWFuZzER
MA8GA1UEBxMISGFuZ3pob3UxDzANBgNVBAoTBkFsaXl1bjEMMAoGA1UECxMDTW5z
MQ8wDQYDVQQDEwZub3RpZnmCCQC/mnFma065XzAMBgNVHRMEBTADAQH/MA0GCSqG
SIb3DQEBBQUAA0EAluPg+k0Fc7WRcpP78+eLptYD8an7YOapUdNUmT2/SQC5BZ+t
cyWFit5pAEipngFL105d7AuW2AtwqG0FgV0ipw==
-----END CERTIFICATE-----`;
