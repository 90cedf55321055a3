// The offline IMM's service layer without sockets: ImmService with the real RAM and STS service, and an
// injected object reader standing in for OSS.
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { DataAccess } from '../../local/imm/DataAccess';
import { ImmError } from '../../local/imm/errors';
import { ImmService, type ImmCall } from '../../local/imm/ImmService';
import { MemoryBudget } from '../../local/imm/MemoryBudget';
import type { ObjectReader, ReaderCredentials } from '../../local/imm/ossReader';
import { ProjectRegistry } from '../../local/imm/ProjectRegistry';
import { IMAGE_LIMITS, scoreImage, WORKING_BYTES } from '../../local/imm/score';
import { mustParse, Ram, type AccessKey, type Caller } from '../../local/ram';
import { StsService } from '../../local/sts';
import { Telemetry } from '../../local/telemetry';
import { sceneJpeg } from '../helpers/images';
import { immFailure } from '../helpers/immError';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const REGION = 'cn-hangzhou';
const SOURCE = 'oss://test-bucket-2024/incoming/photo.jpg';
const IMM_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const SERVICE_ROLE = `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`;
const allow = (action: string | string[], resource = '*') => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

/** Fails like ali-oss does: an Error with OSS's code and status. */
const ossFailure = (code: string, status: number, message: string) => Object.assign(new Error(message), { code, status });

describe('ImmService', () => {
  let image: Buffer;
  let ram: Ram;
  let sts: StsService;
  let projects: ProjectRegistry;
  let operator: AccessKey;
  let reads: { bucket: string; key: string; credentials: ReaderCredentials }[];
  let reader: jest.Mock<ReturnType<ObjectReader>, Parameters<ObjectReader>>;
  let service: ImmService;

  beforeAll(async () => {
    image = await sceneJpeg(320, 240, 5);
  });

  beforeEach(() => {
    ram = new Ram(new Telemetry());
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
    ram.addRole(MEDIA, 'AliyunIMMDefaultRole', IMM_TRUST, [allow('oss:*')]);
    operator = ram.addUser(MEDIA, 'operator', [allow('imm:DetectImageScore', `acs:imm:*:${MEDIA}:project/immtest`), allow('ram:PassRole', SERVICE_ROLE)]);
    sts = new StsService(ram);
    projects = new ProjectRegistry(REGION);
    projects.create(MEDIA, 'immtest');
    reads = [];
    reader = jest.fn<ReturnType<ObjectReader>, Parameters<ObjectReader>>(async (bucket, key, credentials) => {
      reads.push({ bucket, key, credentials });
      return image;
    });
    service = new ImmService({ ram, projects, data: new DataAccess({ sts, reader }), region: REGION });
  });

  const call = (params: Record<string, string>, caller: Caller = operator.caller, action = 'DetectImageScore'): Promise<Record<string, unknown>> => {
    const request: ImmCall = { action, caller, accessKeyId: 'LTAItest', params, sourceIp: '127.0.0.1', userAgent: 'test', requestId: 'R-1' };
    return service.call(request);
  };
  const score = (params: Record<string, string> = {}, caller?: Caller) => call({ ProjectName: 'immtest', SourceURI: SOURCE, ...params }, caller);

  const failure = immFailure;

  it('scores the object it read as the project service role', async () => {
    // Act
    const body = await score();

    // Assess
    expect(body).toEqual({ ImageScore: { OverallQualityScore: (await scoreImage(image)).overall } });
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ bucket: 'test-bucket-2024', key: 'incoming/photo.jpg', credentials: { accessKeyId: expect.stringMatching(/^STS\./) } });
    const session = ram.resolveKey(reads[0].credentials.accessKeyId, reads[0].credentials.securityToken);
    expect(session.ok && session.key.caller.arn).toBe(`arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-service`);
  });

  it('assumes the service role once for concurrent requests and reuses the session', async () => {
    // Prepare
    const assume = jest.spyOn(sts, 'assumeRoleAsService');

    // Act
    await Promise.all(Array.from({ length: 10 }, () => score()));
    await score();

    // Assess
    expect(assume).toHaveBeenCalledTimes(1);
    expect(new Set(reads.map((r) => r.credentials.accessKeyId)).size).toBe(1);
  });

  it('renews the service-role session once it is about to expire', async () => {
    // Prepare
    const assume = jest.spyOn(sts, 'assumeRoleAsService');
    await score();
    ram.expireSession(reads[0].credentials.accessKeyId);

    // Act
    await score();

    // Assess
    expect(assume).toHaveBeenCalledTimes(2);
    expect(reads[1].credentials.accessKeyId).not.toBe(reads[0].credentials.accessKeyId);
  });

  it('renews the session and retries once when OSS no longer accepts the credentials', async () => {
    // Prepare
    reader.mockRejectedValueOnce(ossFailure('SecurityTokenExpired', 403, 'The security token you provided has expired'));

    // Act
    const body = await score();

    // Assess
    expect(body).toHaveProperty('ImageScore');
    expect(reader).toHaveBeenCalledTimes(2);
    expect(reader.mock.calls[1][2].accessKeyId).not.toBe(reader.mock.calls[0][2].accessKeyId);
  });

  it.each<{ case: string; params: Record<string, string>; message: unknown }>([
    { case: 'no ProjectName', params: { ProjectName: '' }, message: 'The parameter ProjectName is required but not provided.' },
    { case: 'no SourceURI', params: { SourceURI: '' }, message: 'The parameter SourceURI is required but not provided.' },
    { case: 'an http SourceURI', params: { SourceURI: 'https://test-bucket-2024.oss-cn-hangzhou.aliyuncs.com/a.jpg' }, message: expect.stringContaining('oss://<bucket>/<object>') },
    { case: 'a SourceURI without a key', params: { SourceURI: 'oss://test-bucket-2024/' }, message: expect.stringContaining('oss://<bucket>/<object>') },
    { case: 'a CredentialConfig that is not JSON', params: { CredentialConfig: '{Chain:' }, message: expect.stringContaining('CredentialConfig is not valid JSON') },
    { case: 'a CredentialConfig with an unknown field', params: { CredentialConfig: '{"Roles":[]}' }, message: expect.stringContaining('unknown field `Roles`') },
  ])('refuses $case with 400 InvalidArgument', async ({ params, message }) => {
    // Act
    const error = await failure(score(params));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message });
    expect(reader).not.toHaveBeenCalled();
  });

  it('answers a project of another account as not found', async () => {
    // Prepare
    const dataAdmin = ram.addUser(DATA, 'admin', [allow('imm:*')]);

    // Act
    const error = await failure(score({}, dataAdmin.caller));

    // Assess
    expect(error).toMatchObject({ status: 404, code: 'ResourceNotFound', message: expect.stringMatching(/^The specified resource Project is not found\. /) });
  });

  it('refuses a caller whose policies do not allow imm:DetectImageScore, naming action, resource and reason', async () => {
    // Prepare
    const intern = ram.addUser(MEDIA, 'intern', [allow('imm:GetTask')]);

    // Act
    const error = await failure(score({}, intern.caller));

    // Assess
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(error.message).toContain(`acs:ram::${MEDIA}:user/intern was denied imm:DetectImageScore on acs:imm:${REGION}:${MEDIA}:project/immtest (ImplicitDeny)`);
    expect(error.message).toContain('identity: ImplicitDeny');
    expect(reader).not.toHaveBeenCalled();
  });

  it('refuses a caller that may use the project but not pass its service role, naming ram:PassRole, before reading', async () => {
    // Prepare
    const scorer = ram.addUser(MEDIA, 'scorer', [allow('imm:DetectImageScore', `acs:imm:*:${MEDIA}:project/immtest`)]);

    // Act
    const error = await failure(score({}, scorer.caller));

    // Assess
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(error.message).toContain(`acs:ram::${MEDIA}:user/scorer was denied ram:PassRole on ${SERVICE_ROLE} (ImplicitDeny)`);
    expect(reader).not.toHaveBeenCalled();
  });

  it('refuses a role session whose session policy leaves out ram:PassRole, although the role allows it', async () => {
    // Prepare
    const trust = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${MEDIA}:root`] } }] };
    const role = ram.addRole(MEDIA, 'op-role', trust, [allow(['imm:DetectImageScore', 'ram:PassRole'])]);
    const sessionPolicy = mustParse(allow('imm:DetectImageScore', `acs:imm:*:${MEDIA}:project/immtest`), 'identity');
    const withPass = mustParse({ Version: '1', Statement: [...allow('imm:DetectImageScore').Statement, ...allow('ram:PassRole', SERVICE_ROLE).Statement] }, 'identity');

    // Act
    const error = await failure(score({}, ram.issueSession(role, 's1', 900, sessionPolicy).caller));
    const body = await score({}, ram.issueSession(role, 's2', 900, withPass).caller);

    // Assess
    expect(error.message).toContain(`was denied ram:PassRole on ${SERVICE_ROLE} (ImplicitDeny)`);
    expect(error.message).toContain('session policy: ImplicitDeny');
    expect(body).toHaveProperty('ImageScore');
  });

  it('checks ram:PassRole on the role a CredentialConfig names instead of the project\'s', async () => {
    // Prepare
    ram.addRole(MEDIA, 'imm-custom', IMM_TRUST, [allow('oss:*')]);

    // Act
    const error = await failure(score({ CredentialConfig: JSON.stringify({ ServiceRole: 'imm-custom' }) }));

    // Assess
    expect(error.message).toContain(`was denied ram:PassRole on acs:ram::${MEDIA}:role/imm-custom`);
  });

  it('asks no ram:PassRole for GetTask, which only reads what an earlier call started', async () => {
    // Prepare
    const watcher = ram.addUser(MEDIA, 'watcher', [allow('imm:GetTask', `acs:imm:*:${MEDIA}:project/immtest`)]);

    // Act
    const error = await failure(call({ ProjectName: 'immtest', TaskType: 'MediaConvert', TaskId: 'MediaConvert-none' }, watcher.caller, 'GetTask'));

    // Assess: past RAM, the task simply is not there
    expect(error).toMatchObject({ status: 404, code: 'ResourceNotFound' });
  });

  it('says the bucket denied IMM service role when OSS refuses the read', async () => {
    // Prepare
    reader.mockRejectedValue(ossFailure('AccessDenied', 403, 'You have no right to access this object because of bucket policy.'));

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(error.message).toMatch(/^File access forbidden: the bucket `test-bucket-2024` denied IMM's service role: /);
    expect(error.message).toContain(`arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/*`);
    expect(error.message).toContain(`oss:GetObject on \`${SOURCE}\``);
    expect(error.message).toContain('OSS said: You have no right to access this object because of bucket policy.');
  });

  it.each([
    { code: 'NoSuchKey', status: 404, expected: { status: 404, code: 'ResourceNotFound', message: expect.stringMatching(/^The specified resource OSSObject is not found\./) } },
    { code: 'NoSuchBucket', status: 404, expected: { status: 404, code: 'ResourceNotFound', message: expect.stringMatching(/^The specified resource OSSBucket is not found\./) } },
    { code: 'ECONNREFUSED', status: -1, expected: { status: 500, code: 'InternalError' } },
  ])('maps an OSS $code to $expected.code', async ({ code, status, expected }) => {
    // Prepare
    reader.mockRejectedValue(ossFailure(code, status, 'oss said no'));

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject(expected);
  });

  it('refuses an object that is not an image', async () => {
    // Prepare
    reader.mockResolvedValue(Buffer.from('%PDF-1.7 not an image'));

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining('the object is not a decodable image') });
  });

  it('refuses an image over IMM\'s 20 MB from its size, without reading its bytes', async () => {
    // Prepare: only the size is looked at, so the stream never has to hold 20 MB.
    const stream = Readable.from([image]);
    reader.mockResolvedValue({ size: IMAGE_LIMITS.maxBytes + 1, stream });

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining('IMM takes images up to 20 MB') });
    expect(stream.destroyed).toBe(true);
  });

  it('refuses an image over 30,000 px a side from its header, before decoding it', async () => {
    // Prepare: a 30,001 × 1 PNG is a few hundred bytes.
    reader.mockResolvedValue(await sharp({ create: { width: IMAGE_LIMITS.maxSide + 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer());

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining('the image is 30001×1 px: IMM takes images of at most 30,000 px a side') });
  });

  it('answers LimitExceededError when the image does not fit in the bytes IMM may hold, and holds nothing after', async () => {
    // Prepare
    const memory = new MemoryBudget({ capBytes: image.length });
    service = new ImmService({ ram, projects, data: new DataAccess({ sts, reader, memory }), region: REGION });

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'LimitExceededError', message: expect.stringMatching(/^Message: input quota exceed the max value: reading `oss:\/\/test-bucket-2024\/incoming\/photo.jpg` needs \d+ bytes in memory/) });
    expect(memory.inUse).toBe(0);
  });

  it('scores concurrent images one after the other when only one fits in memory at a time', async () => {
    // Prepare
    const memory = new MemoryBudget({ capBytes: image.length + WORKING_BYTES });
    service = new ImmService({ ram, projects, data: new DataAccess({ sts, reader, memory }), region: REGION });

    // Act
    const scores = await Promise.all([score(), score(), score()]);

    // Assess
    expect(scores.map((s) => (s.ImageScore as { OverallQualityScore: number }).OverallQualityScore)).toEqual(Array(3).fill((await scoreImage(image)).overall));
    expect(memory.inUse).toBe(0);
  });

  it('explains a service role that does not trust IMM', async () => {
    // Prepare
    ram.setTrustPolicy(`acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`, { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }] });

    // Act
    const error = await failure(score());

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining('IMM could not assume the service role') });
    expect(error.message).toContain('imm.aliyuncs.com is not trusted');
  });

  it('reads as the last role of a CredentialConfig chain', async () => {
    // Prepare: the service role may assume a data-account role that trusts the media account.
    ram.setRolePolicies(`acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`, [allow('sts:AssumeRole', `acs:ram::${DATA}:role/*`)]);
    ram.addRole(DATA, 'imm-reader', { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${MEDIA}:root`] } }] }, [allow('oss:GetObject')]);
    const chain = JSON.stringify({ Chain: [{ AssumeRoleFor: DATA, Role: 'imm-reader', RoleType: 'user' }] });

    // Act
    await score({ CredentialConfig: chain });

    // Assess
    const session = ram.resolveKey(reads[0].credentials.accessKeyId, reads[0].credentials.securityToken);
    expect(session.ok && session.key.caller.arn).toBe(`arn:sts::${DATA}:assumed-role/imm-reader/imm-service`);
  });

  it('refuses a CredentialConfig chain the next role does not trust', async () => {
    // Prepare
    ram.setRolePolicies(`acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`, [allow('sts:AssumeRole')]);
    ram.addRole(DATA, 'imm-reader', { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${DATA}:root`] } }] });
    const chain = JSON.stringify({ Chain: [{ AssumeRoleFor: DATA, Role: 'imm-reader', RoleType: 'user' }] });

    // Act
    const error = await failure(score({ CredentialConfig: chain }));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining(`CredentialConfig.Chain[0] \`acs:ram::${DATA}:role/imm-reader\``) });
    expect(error.message).toContain('is not trusted');
  });

  it('answers an action it does not implement', async () => {
    // Act
    const error = await failure(call({ ProjectName: 'immtest' }, operator.caller, 'DeleteProject'));

    // Assess
    expect(error).toMatchObject({ status: 404, code: 'InvalidAction.NotFound' });
  });
});
