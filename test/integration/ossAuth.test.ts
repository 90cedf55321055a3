// Authentication and authorization of the OSS emulator: presigned URLs, STS tokens, signature and key
// failures (checked on the raw HTTP response), bucket policies across accounts, and persistence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { createOssEmulator, type OssEmulator } from '../../local/oss';
import { Ram, type AccessKey, type Role } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { Telemetry } from '../../local/telemetry';
import { localOssClient, ossErrorOf } from '../helpers/oss';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const BUCKET = 'test-bucket-2024';
const OSS_ALL = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] };
const IMM_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const IMM_ROLE_SESSIONS = `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/*`;

interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

describe('oss emulator authentication and authorization', () => {
  let dataDir: string;
  let ram: Ram;
  let telemetry: Telemetry;
  let admin: AccessKey;
  let immRole: Role;
  let oss: OssEmulator;
  let server: RunningServer;
  /** Added to the emulator's clock, to test expiry and skew without waiting. */
  let clockOffsetMs: number;

  const start = async () => {
    oss = createOssEmulator({ ram, telemetry, dataDir, region: 'cn-hangzhou', now: () => Date.now() + clockOffsetMs });
    await oss.buckets.create(BUCKET, DATA);
    server = await oss.start(0);
  };

  const clientFor = (key: Credentials, authorizationV4 = false, options: Record<string, unknown> = {}): OSS =>
    localOssClient(server.port, BUCKET, key, { authorizationV4, ...options });

  const base = () => `http://localhost:${server.port}`;

  /** ali-oss signatureUrlV4 signs for `options.bucket` and the given key. */
  const signV4 = (client: OSS, key: string, expires = 300) => client.signatureUrlV4('GET', expires, undefined, key);

  const errorOf = ossErrorOf;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'oss-auth-'));
    clockOffsetMs = 0;
    telemetry = new Telemetry();
    ram = new Ram(telemetry);
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
    admin = ram.addUser(DATA, 'admin', [OSS_ALL]);
    immRole = ram.addRole(MEDIA, 'AliyunIMMDefaultRole', IMM_TRUST, [OSS_ALL]);
    await start();
    await clientFor(admin).put('incoming/a.jpg', Buffer.from('jpeg'));
  });

  afterEach(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('presigned URLs', () => {
    it.each([{ signing: 'V1' }, { signing: 'V4' }])('serves a $signing presigned GET fetched with plain fetch', async ({ signing }) => {
      // Prepare
      const client = clientFor(admin, signing === 'V4');
      const url = signing === 'V4' ? await signV4(client, 'incoming/a.jpg') : client.signatureUrl('incoming/a.jpg');

      // Act
      const response = await fetch(url);

      // Assess
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('jpeg');
    });

    it.each([{ signing: 'V1' }, { signing: 'V4' }])('serves a $signing presigned GET signed with an STS session', async ({ signing }) => {
      // Prepare
      const session = ram.issueSession(immRole, 'imm-presign', 900);
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [IMM_ROLE_SESSIONS], Resource: [`acs:oss:*:${DATA}:${BUCKET}/incoming/*`] }],
      });
      const client = clientFor(session, signing === 'V4');
      const url = signing === 'V4' ? await signV4(client, 'incoming/a.jpg') : client.signatureUrl('incoming/a.jpg');

      // Act
      const response = await fetch(url);

      // Assess
      expect(url).toContain(signing === 'V4' ? 'x-oss-security-token=' : 'security-token=');
      expect(response.status).toBe(200);
    });

    it.each([{ signing: 'V1' }, { signing: 'V4' }])('refuses an expired $signing URL with 403 AccessDenied', async ({ signing }) => {
      // Prepare
      const client = clientFor(admin, signing === 'V4');
      const url = signing === 'V4' ? await signV4(client, 'incoming/a.jpg', 60) : client.signatureUrl('incoming/a.jpg', { expires: 60 });
      clockOffsetMs = 120_000;

      // Act
      const error = await errorOf(await fetch(url));

      // Assess
      expect(error).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request has expired.' });
    });
  });

  describe('signature and key failures on the raw HTTP response', () => {
    it.each([{ signing: 'V1' }, { signing: 'V4' }])('answers a tampered $signing signature with 403 SignatureDoesNotMatch and the StringToSign', async ({ signing }) => {
      // Prepare
      const client = clientFor(admin, signing === 'V4');
      const url = new URL(signing === 'V4' ? await signV4(client, 'incoming/a.jpg') : client.signatureUrl('incoming/a.jpg'));
      const param = signing === 'V4' ? 'x-oss-signature' : 'Signature';
      const signature = url.searchParams.get(param)!;
      url.searchParams.set(param, `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`);

      // Act
      const error = await errorOf(await fetch(url));

      // Assess
      expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(error.text).toContain(`<OSSAccessKeyId>${admin.accessKeyId}</OSSAccessKeyId>`);
      expect(error.text).toContain(signing === 'V4' ? '<StringToSign>OSS4-HMAC-SHA256\n' : '<StringToSign>GET\n');
      if (signing === 'V4') expect(error.text).toContain('<CanonicalRequest>GET\n/test-bucket-2024/incoming/a.jpg\n');
    });

    it('answers a tampered request (another key than the one signed) with 403 SignatureDoesNotMatch', async () => {
      // Prepare
      await clientFor(admin).put('incoming/b.jpg', Buffer.from('other'));
      const url = clientFor(admin).signatureUrl('incoming/a.jpg').replace('/incoming/a.jpg', '/incoming/b.jpg');

      // Act
      const error = await errorOf(await fetch(url));

      // Assess
      expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(error.text).toContain(`/${BUCKET}/incoming/b.jpg</StringToSign>`);
    });

    it.each([{ signing: 'V1' }, { signing: 'V4' }])('answers a wrong secret with 403 SignatureDoesNotMatch ($signing header and URL)', async ({ signing }) => {
      // Prepare
      const client = clientFor({ accessKeyId: admin.accessKeyId, accessKeySecret: 'not-the-secret' }, signing === 'V4');
      const url = signing === 'V4' ? await signV4(client, 'incoming/a.jpg') : client.signatureUrl('incoming/a.jpg');

      // Act
      const raw = await errorOf(await fetch(url));
      const viaClient = await client.get('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(raw).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(viaClient).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', name: 'SignatureDoesNotMatchError' });
    });

    it('answers an unknown AccessKeyId with 403 InvalidAccessKeyId', async () => {
      // Prepare
      const client = clientFor({ accessKeyId: 'LTAInobodyhasthis', accessKeySecret: 'whatever' });

      // Act
      const raw = await errorOf(await fetch(client.signatureUrl('incoming/a.jpg')));
      const viaClient = await client.get('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(raw).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
      expect(raw.message).toContain('LTAInobodyhasthis');
      expect(viaClient).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    });

    it('answers an STS AccessKeyId sent without its token with 403 InvalidAccessKeyId', async () => {
      // Prepare
      const session = ram.issueSession(immRole, 'imm-no-token', 900);
      const client = clientFor({ accessKeyId: session.accessKeyId, accessKeySecret: session.accessKeySecret });

      // Act
      const raw = await errorOf(await fetch(client.signatureUrl('incoming/a.jpg')));

      // Assess
      expect(raw).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    });

    it.each([{ signing: 'V1' }, { signing: 'V4' }])('answers an expired STS token with 403 SecurityTokenExpired ($signing)', async ({ signing }) => {
      // Prepare
      const session = ram.issueSession(immRole, 'imm-expired', 900);
      const client = clientFor(session, signing === 'V4');
      const url = signing === 'V4' ? await signV4(client, 'incoming/a.jpg') : client.signatureUrl('incoming/a.jpg');
      ram.expireSession(session.accessKeyId);

      // Act
      const raw = await errorOf(await fetch(url));
      const viaClient = await client.get('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(raw).toMatchObject({ status: 403, code: 'SecurityTokenExpired' });
      expect(raw.text).toContain('<EC>0002-00000007</EC>');
      expect(viaClient).toMatchObject({ status: 403, code: 'SecurityTokenExpired' });
    });

    it.each([{ signing: 'V1' }, { signing: 'V4' }])('answers a $signing header signed 20 minutes off with 403 RequestTimeTooSkewed', async ({ signing }) => {
      // Prepare
      clockOffsetMs = 20 * 60 * 1000;

      // Act
      const error = await clientFor(admin, signing === 'V4').get('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 403, code: 'RequestTimeTooSkewed' });
    });

    it('answers a malformed Authorization header with 400 InvalidArgument', async () => {
      // Prepare
      const headers = { Authorization: 'Bearer something', 'x-oss-date': new Date().toUTCString() };

      // Act
      const error = await errorOf(await fetch(`${base()}/${BUCKET}/incoming/a.jpg`, { headers }));

      // Assess
      expect(error).toMatchObject({ status: 400, code: 'InvalidArgument' });
    });

    it('puts the error XML of a HEAD into x-oss-err, so ali-oss reports AccessDenied and not UnknownError', async () => {
      // Prepare
      const reader = ram.addUser(DATA, 'reader');
      const client = clientFor(reader);

      // Act
      const viaClient = await client.head('incoming/a.jpg').catch((e: unknown) => e);
      const raw = await fetch(client.signatureUrl('incoming/a.jpg', { method: 'HEAD' as OSS.HTTPMethods }), { method: 'HEAD' });
      const header = Buffer.from(raw.headers.get('x-oss-err') ?? '', 'base64').toString('utf8');

      // Assess
      expect(viaClient).toMatchObject({ status: 403, code: 'AccessDenied', name: 'AccessDeniedError', ecCode: '0003-00000001' });
      expect(raw.status).toBe(403);
      expect(header).toContain('<Code>AccessDenied</Code>');
      expect(header).toContain(`acs:ram::${DATA}:user/reader was denied oss:GetObject`);
    });
  });

  describe('STS sessions with ali-oss', () => {
    it.each([{ signing: 'V1' }, { signing: 'V4' }])('puts, lists and reads with a role session token ($signing)', async ({ signing }) => {
      // Prepare
      const trust = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${DATA}:root`] } }] };
      const role = ram.addRole(DATA, 'uploader', trust, [OSS_ALL]);
      const session = ram.issueSession(role, 'upload-session', 900);
      const client = clientFor(session, signing === 'V4');

      // Act
      await client.put('results/x.json', Buffer.from('{}'));
      const listed = await client.listV2({ prefix: 'results/' });
      const got = await client.get('results/x.json');

      // Assess
      expect(listed.objects.map((o) => o.name)).toEqual(['results/x.json']);
      expect(got.content.toString()).toBe('{}');
    });
  });

  describe('bucket policies', () => {
    it('lets a cross-account role session read once the bucket policy grants it, and denies it again once removed', async () => {
      // Prepare
      const session = ram.issueSession(immRole, 'imm-7f3a', 900);
      const client = clientFor(session, true);
      const before = await client.get('incoming/a.jpg').catch((e: unknown) => e);
      await clientFor(admin).putBucketPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [IMM_ROLE_SESSIONS], Resource: [`acs:oss:*:${DATA}:${BUCKET}/incoming/*`] }],
      } as unknown as OSS.BucketPolicy);

      // Act
      const granted = await client.get('incoming/a.jpg');
      const otherPrefix = await client.put('converted/x.pdf', Buffer.from('x')).catch((e: unknown) => e);
      await clientFor(admin).deleteBucketPolicy(BUCKET);
      const after = await client.get('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(before).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(granted.content.toString()).toBe('jpeg');
      expect(otherPrefix).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(after).toMatchObject({ status: 403, code: 'AccessDenied' });
      const message = (after as Error).message;
      expect(message).toMatch(/^You have no right to access this object/);
      expect(message).toContain(`arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-7f3a was denied oss:GetObject on acs:oss:*:${DATA}:${BUCKET}/incoming/a.jpg`);
      expect(message).toContain('the bucket has no policy');
    });

    it('says when an explicit Deny in the bucket policy decided', async () => {
      // Prepare
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Sid: 'NoIncomingDeletes', Effect: 'Deny', Action: ['oss:DeleteObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${BUCKET}/incoming/*`], Condition: { StringLike: { 'acs:UserAgent': ['*'] } } }],
      });

      // Act
      const error = await clientFor(admin).delete('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((error as Error).message).toMatch(/^You have no right to access this object because of bucket policy\. principal acs:ram::1000000000000001:user\/admin was denied oss:DeleteObject/);
    });

    it('serves anonymous requests only where a bucket policy grants `*`', async () => {
      // Prepare
      await clientFor(admin).put('public/logo.png', Buffer.from('png'));
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${BUCKET}/public/*`] }],
      });

      // Act
      const open = await fetch(`${base()}/${BUCKET}/public/logo.png`);
      const closed = await errorOf(await fetch(`${base()}/${BUCKET}/incoming/a.jpg`));

      // Assess
      expect(open.status).toBe(200);
      expect(await open.text()).toBe('png');
      expect(closed).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(closed.message).toContain('anonymous caller (*) was denied oss:GetObject');
    });

    it('hands oss:Prefix to list conditions, with no prefix seen as ""', async () => {
      // Prepare
      const lister = ram.addUser(DATA, 'lister', [
        {
          Version: '1',
          Statement: [{ Effect: 'Allow', Action: 'oss:ListObjects', Resource: `acs:oss:*:*:${BUCKET}`, Condition: { StringLike: { 'oss:Prefix': ['incoming/*'] } } }],
        },
      ]);
      const client = clientFor(lister);

      // Act
      const allowed = await client.list({ prefix: 'incoming/', 'max-keys': 10 }, {});
      const root = await client.list({ 'max-keys': 10 }, {}).catch((e: unknown) => e);

      // Assess
      expect(allowed.objects.map((o) => o.name)).toEqual(['incoming/a.jpg']);
      expect(root).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((root as Error).message).toContain('oss:ListObjects on acs:oss:*:1000000000000001:test-bucket-2024');
    });

    it("lets the owner account's root key in without RAM policies, but not another account's root", async () => {
      // Prepare
      const ownerRoot = ram.addRootKey(DATA);
      const otherRoot = ram.addRootKey(MEDIA);

      // Act
      const owner = await clientFor(ownerRoot).get('incoming/a.jpg');
      const other = await clientFor(otherRoot).get('incoming/a.jpg').catch((e: unknown) => e);

      // Assess
      expect(owner.content.toString()).toBe('jpeg');
      expect(other).toMatchObject({ status: 403, code: 'AccessDenied' });
    });
  });

  describe('persistence', () => {
    it('keeps objects, metadata and the bucket policy across a restart with the same dataDir', async () => {
      // Prepare
      const key = 'incoming/ünïcödé + 100% sure.txt';
      await clientFor(admin).put(key, Buffer.from('persisted'), { meta: { owner: 'me' } as unknown as OSS.UserMeta });
      const policy = {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [IMM_ROLE_SESSIONS], Resource: [`acs:oss:*:${DATA}:${BUCKET}/incoming/*`] }],
      };
      await oss.buckets.setPolicy(BUCKET, policy);
      await server.close();

      // Act
      await start();
      const client = clientFor(admin, true);
      const got = await client.get(key);
      const head = await client.head(key);
      const listed = await client.list({ prefix: 'incoming/', 'max-keys': 10 }, {});
      const bucket = await oss.buckets.get(BUCKET);
      const session = ram.issueSession(immRole, 'imm-after-restart', 900);
      const viaPolicy = await clientFor(session).get(key);

      // Assess
      expect(got.content.toString()).toBe('persisted');
      expect(head.meta).toEqual({ owner: 'me' });
      expect(listed.objects.map((o) => o.name).sort()).toEqual(['incoming/a.jpg', key].sort());
      expect(bucket).toMatchObject({ name: BUCKET, ownerUid: DATA, region: 'cn-hangzhou', policy });
      expect(viaPolicy.content.toString()).toBe('persisted');
    });

    it('refuses to re-create a bucket for another owner', async () => {
      // Prepare
      const create = () => oss.buckets.create(BUCKET, MEDIA);

      // Act
      const error = await create().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(`belongs to account \`${DATA}\``);
    });
  });
});
