// GenerateWebofficeToken and RefreshWebofficeToken through the offline IMM's service layer, without sockets:
// the real RAM and STS service, and an injected object reader standing in for OSS.
import { Readable } from 'node:stream';
import { DataAccess } from '../../local/imm/DataAccess';
import { ImmError } from '../../local/imm/errors';
import { ImmService, type ImmCall } from '../../local/imm/ImmService';
import type { ObjectReader } from '../../local/imm/ossReader';
import { ProjectRegistry } from '../../local/imm/ProjectRegistry';
import { MAX_PREVIEW_BYTES } from '../../local/imm/weboffice/params';
import { WebofficeTokenStore } from '../../local/imm/weboffice/tokens';
import { Ram, type AccessKey } from '../../local/ram';
import { StsService } from '../../local/sts';
import { Telemetry } from '../../local/telemetry';
import { immFailure } from '../helpers/immError';

const MEDIA = '2000000000000002';
const REGION = 'cn-hangzhou';
const SOURCE = 'oss://test-bucket-2024/incoming/docs/report.pdf';
const PDF = Buffer.from('%PDF-1.7\n% a stand-in: IMM only reads it when issuing a token\n');
const T0 = Date.parse('2026-05-01T10:00:00.000Z');
const IMM_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const allow = (action: string | string[], resource = '*') => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const ossFailure = (code: string, status: number, message: string) => Object.assign(new Error(message), { code, status });

describe('WebOffice actions', () => {
  let ram: Ram;
  let operator: AccessKey;
  let reader: jest.Mock<ReturnType<ObjectReader>, Parameters<ObjectReader>>;
  let tokens: WebofficeTokenStore;
  let service: ImmService;
  let now: number;

  beforeEach(() => {
    now = T0;
    ram = new Ram(new Telemetry());
    ram.addAccount(MEDIA, 'media');
    ram.addRole(MEDIA, 'AliyunIMMDefaultRole', IMM_TRUST, [allow('oss:*')]);
    operator = ram.addUser(MEDIA, 'operator', [allow(['imm:GenerateWebofficeToken', 'imm:RefreshWebofficeToken'], `acs:imm:*:${MEDIA}:project/immtest`), allow('ram:PassRole', `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`)]);
    const projects = new ProjectRegistry(REGION);
    projects.create(MEDIA, 'immtest');
    reader = jest.fn<ReturnType<ObjectReader>, Parameters<ObjectReader>>(async () => PDF);
    tokens = new WebofficeTokenStore({ now: () => now });
    // The service's clock stays real: STS sessions and RAM conditions need it; only the tokens' clock moves.
    service = new ImmService({ ram, projects, data: new DataAccess({ sts: new StsService(ram), reader }), region: REGION, weboffice: tokens });
  });

  const call = (action: string, params: Record<string, string>, key: AccessKey = operator): Promise<Record<string, unknown>> => {
    const request: ImmCall = { action, caller: key.caller, accessKeyId: key.accessKeyId, params: { ProjectName: 'immtest', ...params }, sourceIp: '127.0.0.1', userAgent: 'test', requestId: 'R-1', host: '127.0.0.1:9102' };
    return service.call(request);
  };
  const generate = (params: Record<string, string> = {}) => call('GenerateWebofficeToken', { SourceURI: SOURCE, Permission: '{"Readonly":true}', ...params });

  const failure = immFailure;

  it('reads the document as the service role and answers a viewer URL on the host the request reached', async () => {
    // Act
    const body = await generate({ User: '{"Id":"u1","Name":"Ann"}' });

    // Assess
    expect(body).toEqual({
      WebofficeURL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9102\/office\/s\/[0-9a-f]{32}\?_w_tokentype=1$/),
      AccessToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      AccessTokenExpiredTime: '2026-05-01T10:30:00.000000000Z',
      RefreshToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      RefreshTokenExpiredTime: '2026-05-02T10:00:00.000000000Z',
    });
    expect(reader).toHaveBeenCalledTimes(1);
    expect(reader.mock.calls[0].slice(0, 2)).toEqual(['test-bucket-2024', 'incoming/docs/report.pdf']);
    const fileId = /\/office\/s\/([0-9a-f]{32})/.exec(body.WebofficeURL as string)?.[1] ?? '';
    expect(tokens.authorize(body.AccessToken as string, fileId)).toMatchObject({ filename: 'report.pdf', permission: { Readonly: true }, user: { Id: 'u1', Name: 'Ann' } });
  });

  it.each([
    ['the bucket policy refuses IMM', ossFailure('AccessDenied', 403, 'denied by bucket policy'), { status: 403, code: 'AccessDenied', message: expect.stringMatching(/^File access forbidden: /) }],
    ['the object does not exist', ossFailure('NoSuchKey', 404, 'no such key'), { status: 404, code: 'ResourceNotFound', message: expect.stringContaining('OSSObject') }],
  ])('issues no token when %s', async (_name, failureOfOss, expected) => {
    // Prepare
    reader.mockRejectedValue(failureOfOss);

    // Act
    const error = await failure(generate());

    // Assess
    expect(error).toMatchObject(expected);
    expect(tokens.size).toBe(0);
  });

  it('issues no token for a document over 200 MB, and reads none of it', async () => {
    // Prepare: only the size is looked at; the body is never read.
    const stream = Readable.from([PDF]);
    reader.mockResolvedValue({ size: MAX_PREVIEW_BYTES + 1, stream });

    // Act
    const error = await failure(generate());

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining('WebOffice previews files up to 200 MB') });
    expect(tokens.size).toBe(0);
    expect(stream.destroyed).toBe(true);
  });

  it('refuses bad parameters before reading anything', async () => {
    // Act
    const error = await failure(generate({ User: '{"Id":"not valid!"}' }));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(reader).not.toHaveBeenCalled();
  });

  it('needs imm:GenerateWebofficeToken on the project', async () => {
    // Prepare
    const stranger = ram.addUser(MEDIA, 'stranger', [allow('imm:DetectImageScore')]);

    // Act
    const error = await failure(call('GenerateWebofficeToken', { SourceURI: SOURCE }, stranger));

    // Assess
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied', message: expect.stringContaining('imm:GenerateWebofficeToken') });
    expect(reader).not.toHaveBeenCalled();
  });

  it('refresh answers a new pair without a URL, and the old pair cannot be used again', async () => {
    // Prepare
    const issued = await generate();
    now = T0 + 60_000;

    // Act
    const refreshed = await call('RefreshWebofficeToken', { AccessToken: issued.AccessToken as string, RefreshToken: issued.RefreshToken as string });
    const replay = await failure(call('RefreshWebofficeToken', { AccessToken: issued.AccessToken as string, RefreshToken: issued.RefreshToken as string }));

    // Assess
    expect(refreshed).toEqual({
      AccessToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      AccessTokenExpiredTime: '2026-05-01T10:31:00.000000000Z',
      RefreshToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      RefreshTokenExpiredTime: '2026-05-02T10:01:00.000000000Z',
    });
    expect(refreshed.AccessToken).not.toBe(issued.AccessToken);
    expect(replay).toMatchObject({ status: 400, code: 'InvalidRefreshToken', message: 'Specified parameter RefreshToken is not valid: the refresh token is unknown or was already used; call GenerateWebofficeToken for a new pair.' });
  });

  it.each([
    ['a mismatched pair', (a: Record<string, unknown>, b: Record<string, unknown>) => ({ AccessToken: a.AccessToken, RefreshToken: b.RefreshToken }), 'InvalidAccessToken'],
    ['an unknown refresh token', (a: Record<string, unknown>) => ({ AccessToken: a.AccessToken, RefreshToken: 'f'.repeat(32) }), 'InvalidRefreshToken'],
  ])('refuses to refresh %s', async (_name, pick, code) => {
    // Prepare
    const a = await generate();
    const b = await generate();

    // Act
    const error = await failure(call('RefreshWebofficeToken', pick(a, b) as Record<string, string>));

    // Assess
    expect(error).toMatchObject({ status: 400, code });
  });

  it('refuses to refresh an expired refresh token', async () => {
    // Prepare
    const issued = await generate();
    now = T0 + 86400_000;

    // Act
    const error = await failure(call('RefreshWebofficeToken', { AccessToken: issued.AccessToken as string, RefreshToken: issued.RefreshToken as string }));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidRefreshToken', message: expect.stringContaining('the refresh token expired at 2026-05-02T10:00:00.000Z') });
  });

  it.each(['AccessToken', 'RefreshToken'])('refresh needs %s', async (name) => {
    // Prepare
    const params: Record<string, string> = { AccessToken: 'a', RefreshToken: 'r' };
    delete params[name];

    // Act
    const error = await failure(call('RefreshWebofficeToken', params));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: `The parameter ${name} is required but not provided.` });
  });
});
