// The local FC's signature verifier (local/fcSignature.ts) against the independent oracle: `@alicloud/fc2`'s own
// signer (lib/client.js `Client.getSignature`, lib/helper.js `composeStringToSign`). No socket is opened.
import { createHash } from 'node:crypto';
import { createFcSignatureVerifier, fcSignature, fcStringToSign, type HeaderMap } from '../../local/fcSignature';
import type { AccessKey, KeyLookup } from '../../local/ram';
import { FC2 } from '../helpers/fc2';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fc2Helper = require('@alicloud/fc2/lib/helper') as { composeStringToSign(method: string, path: string, headers: Record<string, string | number>, queries: null): string };

const AK = 'LTAIexample';
const SECRET = 'secret-example';
const PATH = '/2023-03-30/functions/imm-bridge-reconcile/invocations';
const DATE = 'Mon, 02 Jan 2006 15:04:05 GMT';
const BODY = Buffer.from('{"triggerName":"reconcile"}');
/** fc2's Content-MD5: base64 of the body's hex MD5 digest (lib/client.js `request`). */
const FC2_MD5 = Buffer.from(createHash('md5').update(BODY).digest('hex'), 'utf8').toString('base64');

/** The headers fc2 sends for an async InvokeFunction with BODY, with the custom header in the case a caller might write it. */
const fc2Headers = (): Record<string, string | number> => ({
  accept: 'application/json',
  date: DATE,
  host: '127.0.0.1',
  'user-agent': 'Node.js(v20) OS(linux/x64) SDK(@alicloud/fc2@v2.6.6)',
  'x-fc-account-id': '1000000000000001',
  'X-Fc-Invocation-Type': 'Async',
  'content-type': 'application/octet-stream',
  'content-md5': FC2_MD5,
  'content-length': BODY.length,
});

/** As Node's `req.headersDistinct` presents them: lower-case names, arrays of strings. */
const received = (headers: Record<string, string | number>): HeaderMap => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [String(v)]]));

const callerKey: AccessKey = { accessKeyId: AK, accessKeySecret: SECRET, caller: { kind: 'user', arn: 'acs:ram::1000000000000001:user/admin', accountId: '1000000000000001' } };
const ram = { resolveKey: (id: string): KeyLookup => (id === AK ? { ok: true, key: callerKey } : { ok: false, code: 'InvalidAccessKeyId.NotFound', message: 'no such key' }) };
const verifier = createFcSignatureVerifier({ ram, now: () => Date.parse(DATE) + 60_000 });

const signedRequest = (headers = fc2Headers(), path = PATH) => ({ method: 'POST', url: path, headers: { ...received(headers), authorization: [FC2.getSignature(AK, SECRET, 'POST', path, headers, null)] } as HeaderMap, body: BODY });

describe('fcStringToSign', () => {
  it('equals fc2 composeStringToSign and the fixed vector for an async invocation', () => {
    // Prepare
    const headers = fc2Headers();
    // Act
    const ours = fcStringToSign('POST', PATH, received(headers));
    // Assess: the vector was computed once with fc2 2.6.6 and is kept literally, so a change on either side shows.
    expect(ours).toBe(fc2Helper.composeStringToSign('POST', PATH, headers, null));
    expect(ours).toBe(`POST\n${FC2_MD5}\napplication/octet-stream\n${DATE}\nx-fc-account-id:1000000000000001\nx-fc-invocation-type:Async\n${PATH}`);
    expect(FC2_MD5).toBe('OGMyYTc2NGRkMGQyNjgwNmM1ZWMzOGY0MTAwMjI3NmU=');
  });

  it('signs like fc2 getSignature', () => {
    // Act
    const ours = `FC ${AK}:${fcSignature(fcStringToSign('POST', PATH, received(fc2Headers())), SECRET)}`;
    // Assess
    expect(ours).toBe(FC2.getSignature(AK, SECRET, 'POST', PATH, fc2Headers(), null));
    expect(ours).toBe('FC LTAIexample:2CMHTp0s7CAVBTK+MuRC9KKFgULbsdqYOPVX6SJzhvY=');
  });

  it('leaves empty lines for a GET without body and signs the decoded path without its query', () => {
    // Prepare
    const headers = { date: DATE, 'x-fc-account-id': '1' };
    // Act
    const ours = fcStringToSign('GET', '/2023-03-30/functions/my%2Dfn/triggers?limit=5', received(headers));
    // Assess
    expect(ours).toBe(`GET\n\n\n${DATE}\nx-fc-account-id:1\n/2023-03-30/functions/my-fn/triggers`);
    expect(ours).toBe(fc2Helper.composeStringToSign('GET', '/2023-03-30/functions/my-fn/triggers', headers, null));
  });
});

describe('createFcSignatureVerifier', () => {
  it('accepts what fc2 signs, and names the signer', () => {
    // Act
    const verdict = verifier.verify(signedRequest());
    // Assess
    expect(verdict).toEqual({ ok: true, key: callerKey, caller: callerKey.caller });
  });

  it.each([
    ['an x-fc-* header changed after signing', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, 'x-fc-invocation-type': ['Sync'] } }), 403, 'SignatureNotMatch'],
    ['an x-fc-* header added after signing', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, 'x-fc-log-type': ['Tail'] } }), 403, 'SignatureNotMatch'],
    ['the path changed (signature replayed on another function)', (r: ReturnType<typeof signedRequest>) => ({ ...r, url: '/2023-03-30/functions/imm-bridge-api/invocations' }), 403, 'SignatureNotMatch'],
    ['the method changed', (r: ReturnType<typeof signedRequest>) => ({ ...r, method: 'PUT' }), 403, 'SignatureNotMatch'],
    ['the body swapped under its Content-MD5', (r: ReturnType<typeof signedRequest>) => ({ ...r, body: Buffer.from('{"triggerName":"other"}') }), 400, 'InvalidArgument'],
    ['a body without Content-MD5', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, 'content-md5': undefined } }), 400, 'MissingRequiredHeader'],
    ['no Authorization', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, authorization: undefined } }), 403, 'AccessDenied'],
    ['another scheme', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, authorization: ['ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host,Signature=00'] } }), 403, 'AccessDenied'],
    ['no Date', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, date: undefined } }), 400, 'MissingRequiredHeader'],
    ['a repeated x-fc-* header', (r: ReturnType<typeof signedRequest>) => ({ ...r, headers: { ...r.headers, 'x-fc-invocation-type': ['Async', 'Sync'] } }), 400, 'InvalidArgument'],
  ])('refuses %s', (_label, tamper, status, code) => {
    // Prepare
    const request = tamper(signedRequest());
    // Act
    const verdict = verifier.verify(request);
    // Assess
    expect(verdict).toMatchObject({ ok: false, error: { status, code } });
  });

  it('refuses an unknown AccessKey ID with InvalidAccessKeyID', () => {
    // Prepare
    const headers = fc2Headers();
    const request = { ...signedRequest(headers), headers: { ...received(headers), authorization: [FC2.getSignature('LTAIother', SECRET, 'POST', PATH, headers, null)] } };
    // Act
    const verdict = verifier.verify(request);
    // Assess
    expect(verdict).toMatchObject({ ok: false, error: { status: 403, code: 'InvalidAccessKeyID' } });
  });

  it.each([
    ['16 minutes late', 16 * 60_000, false],
    ['16 minutes early', -16 * 60_000, false],
    ['14 minutes late', 14 * 60_000, true],
  ])('checks the Date header within 15 minutes: %s', (_label, offsetMs, ok) => {
    // Prepare
    const skewed = createFcSignatureVerifier({ ram, now: () => Date.parse(DATE) + offsetMs });
    // Act
    const verdict = skewed.verify(signedRequest());
    // Assess
    expect(verdict.ok).toBe(ok);
    if (!ok) expect(verdict).toMatchObject({ error: { status: 403, code: 'RequestTimeTooSkewed' } });
  });
});
