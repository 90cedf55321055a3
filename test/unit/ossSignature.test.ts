// The OSS emulator's signature verifier against the worked examples of reference/local-stack.md §2,
// which were recorded from the real ali-oss 6.23 client.
import { parseQuery } from '../../local/oss/request';
import { resolveRange } from '../../local/oss/OssService';
import { parseSignature, v1StringToSign, v4CanonicalRequest, type SigningInput } from '../../local/oss/signature';

const V1_DATE = 'Sun, 22 Nov 2026 18:07:14 GMT';

describe('v1 signatures', () => {
  const putInput: SigningInput = {
    method: 'PUT',
    headers: {
      'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==',
      'content-type': 'text/plain',
      'x-oss-date': V1_DATE,
      'x-oss-forbid-overwrite': 'true',
      'x-oss-meta-owner': 'me',
      'x-oss-security-token': 'STS-TOKEN-XYZ',
      authorization: 'OSS AKID:QPT5983Nbqq2wsVGJRFEgwGmGf4=',
    },
    bucket: 'bkt',
    key: 'dir/a b+c.txt',
    query: [],
  };

  it('builds the StringToSign of the recorded put', () => {
    // Prepare
    const expected = [
      'PUT',
      'XUFAKrxLKna5cZ2REBfFkg==',
      'text/plain',
      V1_DATE,
      `x-oss-date:${V1_DATE}`,
      'x-oss-forbid-overwrite:true',
      'x-oss-meta-owner:me',
      'x-oss-security-token:STS-TOKEN-XYZ',
      '/bkt/dir/a b+c.txt',
    ].join('\n');

    // Act
    const stringToSign = v1StringToSign(putInput, V1_DATE);

    // Assess
    expect(stringToSign).toBe(expected);
  });

  it('accepts the recorded signature with secret SECRET and rejects any other secret', () => {
    // Prepare
    const signed = parseSignature(putInput)!;

    // Act
    const right = signed.verify('SECRET');
    const wrong = signed.verify('SECRET2');

    // Assess
    expect(signed).toMatchObject({ scheme: 'v1-header', accessKeyId: 'AKID', securityToken: 'STS-TOKEN-XYZ', signedAt: Date.parse(V1_DATE) });
    expect(right).toEqual({ ok: true });
    expect(wrong).toMatchObject({ ok: false, stringToSign: expect.stringContaining('/bkt/dir/a b+c.txt') });
  });

  it.each([
    { query: 'partNumber=1&uploadId=UP1', resource: '/bkt/big.bin?partNumber=1&uploadId=UP1' },
    { query: 'prefix=a%2F&max-keys=10&list-type=2&continuation-token=abc', resource: '/bkt/big.bin?continuation-token=abc' },
    { query: 'uploads=', resource: '/bkt/big.bin?uploads' },
    { query: 'OSSAccessKeyId=AK&Expires=1&Signature=x&security-token=T%2Fk%2B', resource: '/bkt/big.bin?security-token=T/k+' },
  ])('signs only whitelisted sub-resources, raw: $query', ({ query, resource }) => {
    // Prepare
    const input: SigningInput = { method: 'PUT', headers: { 'x-oss-date': V1_DATE }, bucket: 'bkt', key: 'big.bin', query: parseQuery(query) };

    // Act
    const stringToSign = v1StringToSign(input, V1_DATE);

    // Assess
    expect(stringToSign.split('\n').pop()).toBe(resource);
  });
});

describe('v4 signatures', () => {
  const input: SigningInput = {
    method: 'PUT',
    headers: {
      'content-type': 'text/plain',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-oss-date': '20261122T180714Z',
      'x-oss-meta-owner': 'me',
      'user-agent': 'aliyun-sdk-nodejs/6.23.0',
      authorization: 'OSS4-HMAC-SHA256 Credential=AKID/20261122/cn-hangzhou/oss/aliyun_v4_request,Signature=00',
    },
    bucket: 'bkt',
    key: 'dir/a b+c.txt',
    query: parseQuery('partNumber=1&uploadId=UP1&uploads'),
  };

  it('builds the recorded canonical request', () => {
    // Prepare
    const expected = [
      'PUT',
      '/bkt/dir/a%20b%2Bc.txt',
      'partNumber=1&uploadId=UP1&uploads',
      'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20261122T180714Z\nx-oss-meta-owner:me\n',
      '',
      'UNSIGNED-PAYLOAD',
    ].join('\n');

    // Act
    const canonical = v4CanonicalRequest(input, [], false);

    // Assess
    expect(canonical).toBe(expected);
  });

  it('hashes the canonical request into the recorded StringToSign', () => {
    // Prepare
    const signed = parseSignature(input)!;

    // Act
    const outcome = signed.verify('SECRET');

    // Assess
    expect(signed).toMatchObject({ scheme: 'v4-header', accessKeyId: 'AKID', region: 'cn-hangzhou', product: 'oss', signedAt: Date.UTC(2026, 10, 22, 18, 7, 14) });
    expect(outcome.ok).toBe(false);
    const lines = (outcome as { stringToSign: string }).stringToSign.split('\n');
    expect(lines.slice(0, 3)).toEqual(['OSS4-HMAC-SHA256', '20261122T180714Z', '20261122/cn-hangzhou/oss/aliyun_v4_request']);
    expect(lines[3]).toMatch(/^1dc81812[0-9a-f]{52}b3e6$/);
  });

  it.each([
    { style: 'official', expected: 'list-type=2&prefix&uploads' },
    { style: 'ali-oss', expected: 'list-type=2&prefix=&uploads' },
  ] as const)('canonicalises empty query values the $style way', ({ style, expected }) => {
    // Prepare
    const list: SigningInput = { ...input, query: parseQuery('prefix=&list-type=2&uploads=') };

    // Act
    const canonical = v4CanonicalRequest(list, [], false, style);

    // Assess
    expect(canonical.split('\n')[2]).toBe(expected);
  });

  it('rejects a credential date that differs from x-oss-date', () => {
    // Prepare
    const skewed: SigningInput = { ...input, headers: { ...input.headers, 'x-oss-date': '20261123T000000Z' } };

    // Act
    const parse = () => parseSignature(skewed);

    // Assess
    expect(parse).toThrow(expect.objectContaining({ status: 400, code: 'InvalidArgument' }));
  });
});

describe('parseSignature', () => {
  it.each([
    { what: 'no credentials', headers: {}, query: '', expected: undefined },
    { what: 'a V1 URL', headers: {}, query: 'OSSAccessKeyId=AK&Expires=100&Signature=abc', expected: { scheme: 'v1-url', accessKeyId: 'AK', expiresAt: 100_000 } },
    {
      what: 'a V4 URL with token',
      headers: {},
      query:
        'x-oss-credential=AK%2F20261122%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20261122T180714Z&x-oss-expires=60&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-security-token=TOK&x-oss-signature=ff',
      expected: { scheme: 'v4-url', accessKeyId: 'AK', securityToken: 'TOK', expiresAt: Date.UTC(2026, 10, 22, 18, 8, 14) },
    },
  ])('reads $what', ({ headers, query, expected }) => {
    // Prepare
    const input: SigningInput = { method: 'GET', headers, bucket: 'bkt', key: 'k', query: parseQuery(query) };

    // Act
    const signed = parseSignature(input);

    // Assess
    if (expected === undefined) expect(signed).toBeUndefined();
    else expect(signed).toMatchObject(expected);
  });

  it.each<{ what: string; headers: Record<string, string>; query: string; code: string }>([
    { what: 'an unknown scheme', headers: { authorization: 'Bearer x' }, query: '', code: 'InvalidArgument' },
    { what: 'a V1 URL without Signature', headers: {}, query: 'OSSAccessKeyId=AK&Expires=1', code: 'AccessDenied' },
    { what: 'a V4 URL valid for 8 days', headers: {}, query: 'x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=AK%2F20261122%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20261122T180714Z&x-oss-expires=691200&x-oss-signature=ff', code: 'InvalidArgument' },
  ])('refuses $what', ({ headers, query, code }) => {
    // Prepare
    const input: SigningInput = { method: 'GET', headers, bucket: 'bkt', key: 'k', query: parseQuery(query) };

    // Act
    const parse = () => parseSignature(input);

    // Assess
    expect(parse).toThrow(expect.objectContaining({ code }));
  });
});

describe('parseQuery', () => {
  it('keeps `a` (no value) apart from `a=` (empty value) and decodes `+` as space', () => {
    // Prepare
    const raw = 'uploads&prefix=&q=a+b%2Bc&x=%E4%B8%AD';

    // Act
    const parsed = parseQuery(raw);

    // Assess
    expect(parsed).toEqual([
      ['uploads', null],
      ['prefix', ''],
      ['q', 'a b+c'],
      ['x', '中'],
    ]);
  });
});

describe('resolveRange', () => {
  it.each([
    { header: 'bytes=0-4', standard: false, expected: { start: 0, end: 4 } },
    { header: 'bytes=5-', standard: false, expected: { start: 5, end: 9 } },
    { header: 'bytes=-3', standard: false, expected: { start: 7, end: 9 } },
    { header: 'bytes=0-1,3-4', standard: false, expected: { start: 0, end: 1 } },
    { header: 'bytes=5-20', standard: false, expected: undefined },
    { header: 'bytes=5-20', standard: true, expected: { start: 5, end: 9 } },
    { header: 'bytes=-20', standard: true, expected: { start: 0, end: 9 } },
    { header: 'bytes=12-20', standard: false, expected: undefined },
    { header: 'bytes=4-2', standard: true, expected: undefined },
    { header: 'items=0-1', standard: true, expected: undefined },
  ])('resolves $header (standard: $standard) on 10 bytes', ({ header, standard, expected }) => {
    // Prepare
    const size = 10;

    // Act
    const range = resolveRange(header, size, standard);

    // Assess
    expect(range).toEqual(expected);
  });

  it('throws 416 InvalidRange for a start past the end under the standard behaviour', () => {
    // Prepare
    const resolve = () => resolveRange('bytes=12-20', 10, true);

    // Act + Assess
    expect(resolve).toThrow(expect.objectContaining({ status: 416, code: 'InvalidRange', headers: { 'Content-Range': 'bytes */10' } }));
  });
});
