// The offline IMM driven by the real @alicloud/openapi-core client (ACS3-HMAC-SHA256), with credentials
// from the offline STS through @alicloud/sts20150401: the DESIGN §1 flow from step 3 on. IMM reads objects
// through an injected reader, and then through the real OSS emulator, where the bucket policy decides.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import Sts, { AssumeRoleRequest } from '@alicloud/sts20150401';
import { createImmEmulator, scoreImage, type ImmEmulator, type ObjectReader } from '../../local/imm';
import { createOssEmulator, type OssEmulator } from '../../local/oss';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { createStsEmulator, type StsEmulator } from '../../local/sts';
import { Telemetry } from '../../local/telemetry';
import { blurred, sceneJpeg } from '../helpers/images';
import { callImmRpc, rejection, type SdkCredentials as Credentials } from '../helpers/sdk';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const REGION = 'cn-hangzhou';
const BUCKET = 'test-bucket-2024';
const EXTERNAL_ID = 'imm-bridge-5f2a9c';
const OPERATOR_ARN = `acs:ram::${MEDIA}:role/imm-bridge-operator`;
const IMM_PRINCIPAL = `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/*`;

const allow = (action: string | string[], resource = '*') => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const IMM_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const OPERATOR_TRUST = {
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${DATA}:root`] }, Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } }],
};
const BUCKET_POLICY = {
  Version: '1',
  Statement: [{ Effect: 'Allow', Principal: [IMM_PRINCIPAL], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${DATA}:${BUCKET}/incoming/*`] }],
};

/** One RAM, STS and IMM per test; `reader` replaces OSS unless a test starts the OSS emulator. */
async function startClouds(options: { reader?: ObjectReader; ossEndpoint?: string; telemetry?: Telemetry; ram?: Ram } = {}) {
  const telemetry = options.telemetry ?? new Telemetry();
  const ram = options.ram ?? new Ram(telemetry);
  if (!ram.hasAccount(DATA)) {
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
  }
  const fn = ram.addUser(DATA, 'fn', [allow('sts:AssumeRole', OPERATOR_ARN)]);
  ram.addRole(MEDIA, 'imm-bridge-operator', OPERATOR_TRUST, [allow('imm:DetectImageScore', `acs:imm:*:${MEDIA}:project/immtest`), allow('ram:PassRole', `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`)]);
  ram.addRole(MEDIA, 'AliyunIMMDefaultRole', IMM_TRUST, [allow('oss:*')]);
  const sts: StsEmulator = createStsEmulator({ ram, telemetry, region: REGION });
  const imm: ImmEmulator = createImmEmulator({ ram, telemetry, region: REGION, sts: sts.service, ossEndpoint: options.ossEndpoint ?? 'http://localhost:1', readObject: options.reader });
  imm.projects.create(MEDIA, 'immtest');
  const stsServer = await sts.start(0);
  const immServer = await imm.start(0);
  return { telemetry, ram, fn, sts, imm, stsServer, immServer, close: () => Promise.all([stsServer.close(), immServer.close()]) };
}

/** The function's step 3: assume the operator role with the SDK. */
async function assumeOperator(stsPort: number, fn: AccessKey): Promise<Credentials> {
  const client = new Sts(new $OpenApiUtil.Config({ accessKeyId: fn.accessKeyId, accessKeySecret: fn.accessKeySecret, regionId: REGION, endpoint: `127.0.0.1:${stsPort}`, protocol: 'http' }));
  const c = (await client.assumeRole(new AssumeRoleRequest({ roleArn: OPERATOR_ARN, roleSessionName: 'on-upload', durationSeconds: 900, externalId: EXTERNAL_ID }))).body!.credentials!;
  return { accessKeyId: c.accessKeyId!, accessKeySecret: c.accessKeySecret!, securityToken: c.securityToken };
}

/** Step 4: DetectImageScore exactly as the generated IMM SDK sends it (reference §1). */
function detectImageScore(immPort: number, credentials: Credentials, query: Record<string, string>) {
  return callImmRpc(immPort, credentials, 'DetectImageScore', query, REGION);
}


describe('imm emulator with @alicloud/openapi-core', () => {
  let image: Buffer;
  let clouds: Awaited<ReturnType<typeof startClouds>>;
  let reads: string[];
  let operator: Credentials;

  const score = (query: Record<string, string> = {}, credentials = operator) =>
    detectImageScore(clouds.immServer.port, credentials, { ProjectName: 'immtest', SourceURI: `oss://${BUCKET}/incoming/photo.jpg`, ...query });

  beforeAll(async () => {
    image = await sceneJpeg(640, 480, 6);
  });

  beforeEach(async () => {
    reads = [];
    clouds = await startClouds({
      reader: async (bucket, key) => {
        reads.push(`${bucket}/${key}`);
        if (key.endsWith('missing.jpg')) throw Object.assign(new Error('The specified key does not exist.'), { code: 'NoSuchKey', status: 404 });
        return image;
      },
    });
    operator = await assumeOperator(clouds.stsServer.port, clouds.fn);
  });

  afterEach(async () => {
    await clouds.close();
  });

  it('scores an image for the data account with the operator role credentials from STS', async () => {
    // Act
    const response = await score();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/), ImageScore: { OverallQualityScore: (await scoreImage(image)).overall } });
    expect(reads).toEqual([`${BUCKET}/incoming/photo.jpg`]);
    expect(clouds.telemetry.stats().calls).toMatchObject({ 'sts:AssumeRole': 1, 'imm:DetectImageScore': 1 });
  });

  it('accepts the JSON CredentialConfig parameter the SDK shrinks into the query', async () => {
    // Act
    const response = await score({ CredentialConfig: JSON.stringify({ ServiceRole: 'AliyunIMMDefaultRole' }) });

    // Assess
    expect(response.body).toHaveProperty('ImageScore.OverallQualityScore');
  });

  it.each<{ case: string; query: Record<string, string>; expected: Record<string, unknown> }>([
    { case: 'no ProjectName', query: { ProjectName: '' }, expected: { statusCode: 400, code: 'InvalidArgument', data: { Message: 'The parameter ProjectName is required but not provided.' } } },
    { case: 'a SourceURI that is not oss://', query: { SourceURI: 'file:///etc/passwd' }, expected: { statusCode: 400, code: 'InvalidArgument' } },
    { case: 'an unknown project', query: { ProjectName: 'other' }, expected: { statusCode: 404, code: 'ResourceNotFound' } },
    { case: 'a missing object', query: { SourceURI: `oss://${BUCKET}/incoming/missing.jpg` }, expected: { statusCode: 404, code: 'ResourceNotFound', data: { Message: expect.stringContaining('OSSObject is not found') } } },
  ])('answers $case with $expected.statusCode $expected.code', async ({ query, expected }) => {
    // Act
    const error = await rejection(score(query));

    // Assess
    expect(error).toMatchObject(expected);
    expect(error.data).toMatchObject({ RequestId: expect.any(String), HostId: `imm.${REGION}.aliyuncs.com` });
  });

  it('refuses a caller whose role does not allow the action on the project', async () => {
    // Prepare
    clouds.ram.setRolePolicies(OPERATOR_ARN, [allow('imm:GetTask', `acs:imm:*:${MEDIA}:project/immtest`)]);

    // Act
    const error = await rejection(score());

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'AccessDenied' });
    expect(error.data?.Message).toContain(`was denied imm:DetectImageScore on acs:imm:${REGION}:${MEDIA}:project/immtest`);
    expect(reads).toEqual([]);
  });

  it('refuses operator credentials once the STS session has expired', async () => {
    // Prepare
    clouds.ram.expireSession(operator.accessKeyId);

    // Act
    const error = await rejection(score());

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'InvalidSecurityToken.Expired' });
  });

  it('refuses a signature made with the wrong secret', async () => {
    // Act
    const error = await rejection(score({}, { ...operator, accessKeySecret: 'wrong' }));

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'SignatureDoesNotMatch' });
  });

  it('answers an injected fault, and counts the call', async () => {
    // Prepare
    clouds.telemetry.setFaults([{ service: 'imm', action: 'DetectImageScore', rate: 1, status: 503, code: 'ServiceUnavailable' }]);

    // Act
    const error = await rejection(score());

    // Assess
    expect(error).toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
    expect(clouds.telemetry.stats().calls['imm:DetectImageScore']).toBe(1);
    expect(reads).toEqual([]);
  });
});

describe('imm emulator reading through the OSS emulator', () => {
  let dataDir: string;
  let telemetry: Telemetry;
  let ram: Ram;
  let oss: OssEmulator;
  let ossServer: RunningServer;
  let clouds: Awaited<ReturnType<typeof startClouds>>;
  let partner: OSS;
  let operator: Credentials;
  let image: Buffer;

  const score = (key: string) => detectImageScore(clouds.immServer.port, operator, { ProjectName: 'immtest', SourceURI: `oss://${BUCKET}/${key}` });

  beforeAll(async () => {
    image = await sceneJpeg(640, 480, 7);
  });

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'imm-test-'));
    telemetry = new Telemetry();
    ram = new Ram(telemetry);
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
    const admin = ram.addUser(DATA, 'admin', [allow('oss:*')]);
    oss = createOssEmulator({ ram, telemetry, dataDir, region: REGION });
    await oss.buckets.create(BUCKET, DATA);
    await oss.buckets.setPolicy(BUCKET, BUCKET_POLICY);
    ossServer = await oss.start(0);
    clouds = await startClouds({ ram, telemetry, ossEndpoint: `http://localhost:${ossServer.port}` });
    operator = await assumeOperator(clouds.stsServer.port, clouds.fn);
    partner = new OSS({ endpoint: `http://localhost:${ossServer.port}`, sldEnable: true, bucket: BUCKET, region: `oss-${REGION}`, accessKeyId: admin.accessKeyId, accessKeySecret: admin.accessKeySecret } as OSS.Options);
  });

  afterEach(async () => {
    await clouds.close();
    await ossServer.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads the object as AliyunIMMDefaultRole, which the bucket policy allows, and scores a blurred copy lower', async () => {
    // Prepare
    await partner.put('incoming/sharp.jpg', image);
    await partner.put('incoming/soft.jpg', await blurred(image));

    // Act
    const sharpScore = (await score('incoming/sharp.jpg')).body.ImageScore as { OverallQualityScore: number };
    const softScore = (await score('incoming/soft.jpg')).body.ImageScore as { OverallQualityScore: number };

    // Assess
    expect(sharpScore.OverallQualityScore).toBe((await scoreImage(image)).overall);
    expect(softScore.OverallQualityScore).toBeLessThan(sharpScore.OverallQualityScore);
    expect(telemetry.stats().calls['oss:GetObject']).toBe(2);
    const decision = telemetry.recentDecisions().find((d) => d.service === 'oss' && d.action === 'oss:GetObject');
    expect(decision).toMatchObject({ principal: `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-service`, decision: 'Allow' });
  });

  it('says File access forbidden, naming the principal, the action and the object, outside the granted prefix', async () => {
    // Prepare
    await partner.put('private/secret.jpg', image);

    // Act
    const error = await rejection(score('private/secret.jpg'));

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'AccessDenied' });
    expect(error.data?.Message).toMatch(/^File access forbidden: the bucket `test-bucket-2024` denied IMM's service role: /);
    expect(error.data?.Message).toContain(IMM_PRINCIPAL);
    expect(error.data?.Message).toContain(`oss:GetObject on \`oss://${BUCKET}/private/secret.jpg\``);
    expect(error.data?.Message).toContain('OSS said: You have no right to access this object');
  });

  it('says File access forbidden once the partner deletes the bucket policy', async () => {
    // Prepare
    await partner.put('incoming/photo.jpg', image);
    await partner.deleteBucketPolicy(BUCKET);

    // Act
    const error = await rejection(score('incoming/photo.jpg'));

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'AccessDenied', data: { Message: expect.stringMatching(/^File access forbidden: /) } });
  });

  it.each([
    { case: 'a missing object', key: 'incoming/none.jpg', bucket: BUCKET, message: /^The specified resource OSSObject is not found\./ },
    { case: 'a missing bucket', key: 'incoming/none.jpg', bucket: 'no-such-bucket', message: /^The specified resource OSSBucket is not found\./ },
  ])('answers $case with 404 ResourceNotFound', async ({ key, bucket, message }) => {
    // Act
    const error = await rejection(detectImageScore(clouds.immServer.port, operator, { ProjectName: 'immtest', SourceURI: `oss://${bucket}/${key}` }));

    // Assess
    expect(error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound', data: { Message: expect.stringMatching(message) } });
  });

  it('answers an object that is not an image with 400 InvalidArgument', async () => {
    // Prepare
    await partner.put('incoming/notes.jpg', Buffer.from('not really a jpeg'));

    // Act
    const error = await rejection(score('incoming/notes.jpg'));

    // Assess
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidArgument', data: { Message: expect.stringContaining('the object is not a decodable image') } });
  });
});
