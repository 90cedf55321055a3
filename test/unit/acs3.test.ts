// ACS3-HMAC-SHA256 verification: the darabonba-openapi known-answer vector, requests recorded from the
// real @alicloud/sts20150401 1.2.0 and @alicloud/openapi-core 1.0.8 clients, and every refusal.
import { createHash } from 'node:crypto';
import { canonicalHeaders, computeAcs3Signature, createAcs3Verifier, parseQuery, type Acs3Request } from '../../local/acs3';
import type { AccessKey, KeyLookup } from '../../local/ram';

/** Recorded on 2026-11-23 by pointing the real clients at a logging server (headers as Node's headersDistinct). */
const RECORDED_AT = Date.parse('2026-11-23T01:15:38Z');
const UA = 'AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** sts.assumeRole({roleArn, roleSessionName: 'fn.on-upload@req_1', durationSeconds: 900, externalId: "ext:id/with=odd,chars*'()!"}), long-term key. */
const STS_ASSUME_ROLE: Acs3Request = {
  method: 'POST',
  url: "/?DurationSeconds=900&ExternalId=ext%3Aid%2Fwith%3Dodd%2Cchars*%27()!&RoleArn=acs%3Aram%3A%3A2000000000000002%3Arole%2Fimm-bridge-operator&RoleSessionName=fn.on-upload%40req_1",
  headers: {
    host: ['127.0.0.1:44031'],
    'x-acs-version': ['2015-04-01'],
    'x-acs-action': ['AssumeRole'],
    'user-agent': [UA],
    'x-acs-date': ['2026-11-23T01:15:38Z'],
    'x-acs-signature-nonce': ['2712831d03e2f1c58fe478d0954b44ded7efe159a2dc98049e6395900c436ac2'],
    accept: ['application/json'],
    'x-acs-content-sha256': [EMPTY],
    'x-acs-credentials-provider': ['static_ak'],
    authorization: [
      'ACS3-HMAC-SHA256 Credential=LTAIrecorded0001,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=e224e866fc9198cf187ff04070c53c99092ee9817904bf2705c3738ae1e3ed1c',
    ],
    connection: ['keep-alive'],
    'content-length': ['0'],
  },
  body: Buffer.alloc(0),
};

/** callApi(DetectImageScore) with STS credentials; the key holds a space, `+`, CJK and `(1)*`. */
const IMM_WITH_STS: Acs3Request = {
  method: 'POST',
  url:
    '/?ProjectName=immtest&SourceURI=oss%3A%2F%2Ftest-bucket-2024%2Fincoming%2Fa%20b%2Bc%20%E4%B8%AD%E6%96%87(1)*.jpg' +
    '&CredentialConfig=%7B%22Chain%22%3A%5B%7B%22AssumeRoleFor%22%3A%221%22%2C%22Role%22%3A%22r%22%2C%22RoleType%22%3A%22user%22%7D%5D%7D',
  headers: {
    host: ['127.0.0.1:44031'],
    'x-acs-version': ['2020-09-30'],
    'x-acs-action': ['DetectImageScore'],
    'user-agent': [UA],
    'x-acs-date': ['2026-11-23T01:15:38Z'],
    'x-acs-signature-nonce': ['4cbc22bf2fd90ae2fc1db34f4e4709ff521aa639699f63dcf52788e2a8eabf23'],
    accept: ['application/json'],
    'x-acs-content-sha256': [EMPTY],
    'x-acs-credentials-provider': ['static_sts'],
    'x-acs-accesskey-id': ['STS.recorded0002'],
    'x-acs-security-token': ['CAIStoken+/='],
    authorization: [
      'ACS3-HMAC-SHA256 Credential=STS.recorded0002,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=d53f537d742a6d64f73513724d045db9b41ce5f552b3bdf68e368803b99819d5',
    ],
    connection: ['keep-alive'],
    'content-length': ['0'],
  },
  body: Buffer.alloc(0),
};

/** callApi with a form body parameter (how CreateOfficeConversionTask sends Sources): content-type is signed. */
const IMM_WITH_FORM_BODY: Acs3Request = {
  method: 'POST',
  url: '/?ProjectName=immtest',
  headers: {
    host: ['127.0.0.1:44031'],
    'x-acs-version': ['2020-09-30'],
    'x-acs-action': ['DetectImageScore'],
    'user-agent': [UA],
    'x-acs-date': ['2026-11-23T01:15:38Z'],
    'x-acs-signature-nonce': ['00ba8453044349903ada6ea2d5ce55263a1f05b5b399768cc39fdaa1818904a2'],
    accept: ['application/json'],
    'content-type': ['application/x-www-form-urlencoded'],
    'x-acs-content-sha256': ['65b57b6e0b37af1f80f1b337151312f9b81899408c25fc85111712c1e49e6cd8'],
    'x-acs-credentials-provider': ['static_sts'],
    'x-acs-accesskey-id': ['STS.recorded0002'],
    'x-acs-security-token': ['CAIStoken+/='],
    authorization: [
      'ACS3-HMAC-SHA256 Credential=STS.recorded0002,SignedHeaders=content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=4fe0cd5f0b9f6d94cb571c2da4f16a9beb9b85393d923689d0e0edffe7f02253',
    ],
    connection: ['keep-alive'],
    'transfer-encoding': ['chunked'],
  },
  body: Buffer.from('Sources=%5B%7B%22URI%22%3A%22oss%3A%2F%2Fb%2Fk%22%7D%5D'),
};

const userKey: AccessKey = {
  accessKeyId: 'LTAIrecorded0001',
  accessKeySecret: 'recorded-secret',
  caller: { kind: 'user', accountId: '1000000000000001', userName: 'fn', arn: 'acs:ram::1000000000000001:user/fn' },
};
const stsKey: AccessKey = {
  accessKeyId: 'STS.recorded0002',
  accessKeySecret: 'sts-secret',
  securityToken: 'CAIStoken+/=',
  caller: { kind: 'role-session', accountId: '2000000000000002', roleName: 'op', sessionName: 's', arn: 'arn:sts::2000000000000002:assumed-role/op/s' },
};

/** A RAM stand-in that knows the two recorded keys, with the same token rules as local/ram.ts. */
function fakeRam(overrides: Partial<Record<string, KeyLookup>> = {}) {
  return {
    resolveKey(accessKeyId: string, token?: string): KeyLookup {
      if (overrides[accessKeyId]) return overrides[accessKeyId]!;
      const key = [userKey, stsKey].find((k) => k.accessKeyId === accessKeyId);
      if (!key) return { ok: false, code: 'InvalidAccessKeyId.NotFound', message: `access key \`${accessKeyId}\` does not exist` };
      if (key.securityToken !== undefined && !token) return { ok: false, code: 'MissingSecurityToken', message: 'an STS access key needs its security token' };
      if (key.securityToken !== token) return { ok: false, code: 'InvalidSecurityToken', message: 'the security token does not belong to this access key' };
      return { ok: true, key };
    },
  };
}

const verifierAt = (now = RECORDED_AT, ram = fakeRam()) => createAcs3Verifier({ ram, now: () => now });

/** A copy of a request with some headers replaced (undefined removes one). */
function withHeaders(request: Acs3Request, headers: Record<string, string | undefined>): Acs3Request {
  const copy: Acs3Request = { ...request, headers: { ...request.headers } };
  for (const [name, value] of Object.entries(headers)) copy.headers[name] = value === undefined ? undefined : [value];
  return copy;
}

describe('computeAcs3Signature', () => {
  it('matches the darabonba-openapi known-answer vector', () => {
    // Prepare: getAuthorization(req{query:{test:'ok',empty:''}, headers:{'x-acs-TEST':'https','x-acs-test':'http'}, method undefined})
    const input = {
      method: 'undefined', // the vector's request has no method, which the SDK concatenates as the string "undefined"
      pathname: '',
      query: { test: 'ok', empty: '' },
      headers: { 'x-acs-TEST': 'https', 'x-acs-test': 'http' },
      signedHeaders: ['x-acs-test'],
      payloadHash: '55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23',
    };

    // Act
    const result = computeAcs3Signature(input, 'secret');

    // Assess
    expect(result.signature).toBe('0f2d549523cf082c83bb8135b5863614f7fe16ca7c2c7fc537e74d67374eeeac');
    expect(result.canonicalRequest).toBe('undefined\n\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23');
  });

  it('joins repeated header values sorted, and counts a missing signed header as empty', () => {
    // Act
    const text = canonicalHeaders({ 'x-acs-b': ['  z ', 'a'], host: 'h:1' }, ['host', 'x-acs-a', 'x-acs-b']);

    // Assess
    expect(text).toBe('host:h:1\nx-acs-a:\nx-acs-b:a,z\n');
  });

  it('decodes the query the way the SDK meant it', () => {
    // Act
    const query = parseQuery("a=x*'()!&b=%20%2B+&flag&c=1&c=2");

    // Assess
    expect(query).toEqual({ a: "x*'()!", b: ' + ', flag: '', c: '1,2' });
  });
});

describe('createAcs3Verifier', () => {
  it.each([
    { name: 'sts20150401 AssumeRole with a long-term key', request: STS_ASSUME_ROLE, key: userKey },
    { name: 'openapi-core callApi with STS credentials and an awkward query', request: IMM_WITH_STS, key: stsKey },
    { name: 'openapi-core callApi with a form body', request: IMM_WITH_FORM_BODY, key: stsKey },
  ])('accepts a request recorded from $name', ({ request, key }) => {
    // Prepare
    const verifier = verifierAt();

    // Act
    const result = verifier.verify(request);

    // Assess
    expect(result).toEqual({ ok: true, key, caller: key.caller, accessKeyId: key.accessKeyId });
  });

  it('refuses a tampered query parameter with the server string to sign', () => {
    // Prepare
    const tampered = { ...STS_ASSUME_ROLE, url: STS_ASSUME_ROLE.url.replace('DurationSeconds=900', 'DurationSeconds=3600') };

    // Act
    const result = verifierAt().verify(tampered);

    // Assess
    expect(result).toEqual({ ok: false, error: { status: 403, code: 'SignatureDoesNotMatch', message: expect.stringContaining('DurationSeconds=3600') } });
    expect(!result.ok && result.error.message).toMatch(/^Specified signature does not match our calculation\. server string to sign is:"ACS3-HMAC-SHA256\\n[0-9a-f]{64}"/);
  });

  it('keeps the security token and token-like query values out of the mismatch message', () => {
    // Prepare
    const tampered = { ...IMM_WITH_STS, url: `${IMM_WITH_STS.url}&AccessToken=preview-access-secret&RefreshToken=preview-refresh-secret` };
    // Act
    const result = verifierAt(RECORDED_AT, fakeRam({ 'STS.recorded0002': { ok: true, key: stsKey } })).verify(tampered);
    // Assess
    expect(!result.ok && result.error.code).toBe('SignatureDoesNotMatch');
    const message = !result.ok ? result.error.message : '';
    expect(message).not.toMatch(/CAIStoken|preview-access-secret|preview-refresh-secret/);
    expect(message).toContain('x-acs-security-token:[redacted]');
    expect(message).toContain('AccessToken=[redacted]');
    expect(message).toContain('ProjectName=immtest');
  });

  it('refuses a signature made with another secret', () => {
    // Prepare
    const ram = fakeRam({ LTAIrecorded0001: { ok: true, key: { ...userKey, accessKeySecret: 'another-secret' } } });

    // Act
    const result = verifierAt(RECORDED_AT, ram).verify(STS_ASSUME_ROLE);

    // Assess
    expect(!result.ok && result.error.code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a body that is not the signed one', () => {
    // Prepare
    const tampered = { ...IMM_WITH_FORM_BODY, body: Buffer.from('Sources=%5B%5D') };

    // Act
    const result = verifierAt().verify(tampered);

    // Assess
    expect(result).toEqual({ ok: false, error: { status: 403, code: 'SignatureDoesNotMatch', message: expect.stringContaining('x-acs-content-sha256') } });
  });

  it('refuses a body whose declared hash was changed to match', () => {
    // Prepare
    const body = Buffer.from('Sources=%5B%5D');
    const tampered = withHeaders({ ...IMM_WITH_FORM_BODY, body }, { 'x-acs-content-sha256': createHash('sha256').update(body).digest('hex') });

    // Act
    const result = verifierAt().verify(tampered);

    // Assess
    expect(!result.ok && result.error.code).toBe('SignatureDoesNotMatch');
  });

  it.each([
    { skew: 'more than 15 minutes late', now: RECORDED_AT + 15 * 60 * 1000 + 1000 },
    { skew: 'more than 15 minutes early', now: RECORDED_AT - 15 * 60 * 1000 - 1000 },
  ])('refuses an x-acs-date $skew', ({ now }) => {
    // Act
    const result = verifierAt(now).verify(STS_ASSUME_ROLE);

    // Assess
    expect(result).toEqual({ ok: false, error: { status: 400, code: 'InvalidTimeStamp.Expired', message: expect.stringContaining('2026-11-23T01:15:38Z') } });
  });

  it('accepts an x-acs-date within 15 minutes', () => {
    // Act
    const result = verifierAt(RECORDED_AT + 14 * 60 * 1000).verify(STS_ASSUME_ROLE);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('refuses a replayed nonce', () => {
    // Prepare
    const verifier = verifierAt();

    // Act
    const first = verifier.verify(STS_ASSUME_ROLE);
    const replay = verifier.verify(STS_ASSUME_ROLE);

    // Assess
    expect(first.ok).toBe(true);
    expect(replay).toEqual({ ok: false, error: { status: 400, code: 'SignatureNonceUsed', message: 'Specified signature nonce was used already.' } });
  });

  it.each([
    { name: 'no Authorization header', headers: { authorization: undefined }, message: /no Authorization header/ },
    { name: 'another algorithm', headers: { authorization: 'OSS LTAIrecorded0001:abc=' }, message: /`OSS` is not supported/ },
    { name: 'a malformed ACS3 header', headers: { authorization: 'ACS3-HMAC-SHA256 Credential=LTAIrecorded0001' }, message: /must be `ACS3-HMAC-SHA256 Credential=/ },
    {
      name: 'x-acs-date left out of SignedHeaders',
      headers: { authorization: 'ACS3-HMAC-SHA256 Credential=LTAIrecorded0001,SignedHeaders=host;x-acs-action;x-acs-content-sha256,Signature=00' },
      message: /must include `x-acs-date`/,
    },
  ])('refuses $name as IncompleteSignature', ({ headers, message }) => {
    // Act
    const result = verifierAt().verify(withHeaders(STS_ASSUME_ROLE, headers));

    // Assess
    expect(result).toEqual({ ok: false, error: { status: 400, code: 'IncompleteSignature', message: expect.stringMatching(message) } });
  });

  it('refuses a malformed x-acs-date', () => {
    // Act
    const result = verifierAt().verify(withHeaders(STS_ASSUME_ROLE, { 'x-acs-date': 'Mon, 23 Nov 2026 01:15:38 GMT' }));

    // Assess
    expect(!result.ok && result.error).toMatchObject({ status: 400, code: 'InvalidTimeStamp.Format' });
  });

  it.each([
    {
      name: 'an unknown AccessKeyId',
      request: withHeaders(STS_ASSUME_ROLE, { authorization: String(STS_ASSUME_ROLE.headers.authorization).replace('LTAIrecorded0001', 'LTAIunknown') }),
      ram: fakeRam(),
      error: { status: 404, code: 'InvalidAccessKeyId.NotFound' },
    },
    {
      name: 'an STS key without its token',
      request: withHeaders(IMM_WITH_STS, { 'x-acs-security-token': undefined }),
      ram: fakeRam(),
      error: { status: 400, code: 'MissingSecurityToken' },
    },
    {
      name: 'an STS key with a token of another session',
      request: withHeaders(IMM_WITH_STS, { 'x-acs-security-token': 'CAISother' }),
      ram: fakeRam(),
      error: { status: 403, code: 'InvalidSecurityToken.MismatchWithAccessKey' },
    },
    {
      name: 'an expired STS token',
      request: IMM_WITH_STS,
      ram: fakeRam({ 'STS.recorded0002': { ok: false, code: 'SecurityTokenExpired', message: 'the security token expired at 2026-11-23T01:00:00.000Z' } }),
      error: { status: 403, code: 'InvalidSecurityToken.Expired' },
    },
  ])('refuses $name', ({ request, ram, error }) => {
    // Act
    const result = verifierAt(RECORDED_AT, ram).verify(request);

    // Assess
    expect(!result.ok && result.error).toMatchObject(error);
  });
});
