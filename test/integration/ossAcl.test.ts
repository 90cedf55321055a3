// Bucket and object ACLs in the OSS emulator with the real ali-oss client (and plain fetch for anonymous callers): the
// ACL APIs, the ACL step of authorization (ref/ram-policy.md §3.3, §3.5, §7 V6, V14, V15, V17) and the ACL condition
// keys oss:x-oss-acl and oss:x-oss-object-acl (§7 C11, C12).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { createOssEmulator, type OssEmulator } from '../../local/oss';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { Telemetry } from '../../local/telemetry';
import { localOssClient, ossErrorOf } from '../helpers/oss';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const BUCKET = 'acl-bucket-2024';
const OSS_ALL = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] };

describe('oss emulator acls', () => {
  let dataDir: string;
  let ram: Ram;
  let admin: AccessKey;
  let oss: OssEmulator;
  let server: RunningServer;

  const start = async () => {
    oss = createOssEmulator({ ram, telemetry: new Telemetry(), dataDir, region: 'cn-hangzhou' });
    await oss.buckets.create(BUCKET, DATA);
    server = await oss.start(0);
  };

  const clientFor = (key: AccessKey): OSS => localOssClient(server.port, BUCKET, key);

  const url = (key: string) => `http://localhost:${server.port}/${BUCKET}/${key}`;

  const errorOf = ossErrorOf;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'oss-acl-'));
    ram = new Ram();
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
    admin = ram.addUser(DATA, 'admin', [OSS_ALL]);
    await start();
    await clientFor(admin).put('public/a.txt', Buffer.from('a'));
  });

  afterEach(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('acl apis', () => {
    it('starts a bucket private and an object default, and round-trips both acls', async () => {
      // Prepare
      const client = clientFor(admin);
      const bucketBefore = await client.getBucketACL(BUCKET);
      const objectBefore = await client.getACL('public/a.txt');

      // Act
      await client.putBucketACL(BUCKET, 'public-read');
      await client.putACL('public/a.txt', 'private');
      const bucketAfter = await client.getBucketACL(BUCKET);
      const objectAfter = await client.getACL('public/a.txt');

      // Assess
      expect(bucketBefore.acl).toBe('private');
      expect(bucketBefore).toMatchObject({ owner: { id: DATA, displayName: DATA } });
      expect(objectBefore.acl).toBe('default');
      expect(bucketAfter.acl).toBe('public-read');
      expect(objectAfter.acl).toBe('private');
    });

    it('sets the acl of an upload from x-oss-object-acl, and an overwrite without it goes back to default', async () => {
      // Prepare
      const client = clientFor(admin);

      // Act
      await client.put('public/b.txt', Buffer.from('b'), { headers: { 'x-oss-object-acl': 'public-read' } });
      const set = await client.getACL('public/b.txt');
      await client.put('public/b.txt', Buffer.from('b2'));
      const overwritten = await client.getACL('public/b.txt');

      // Assess
      expect(set.acl).toBe('public-read');
      expect(overwritten.acl).toBe('default');
    });

    it.each([
      { api: 'PutBucketAcl', act: (c: OSS) => c.putBucketACL(BUCKET, 'public' as OSS.ACLType), ec: '0015-00000204', message: 'no such bucket access control exists' },
      { api: 'PutObjectAcl', act: (c: OSS) => c.putACL('public/a.txt', 'public' as OSS.ACLType), ec: '0017-00000104', message: 'no such object access control exists' },
      {
        api: 'PutObject',
        act: (c: OSS) => c.put('public/c.txt', Buffer.from('c'), { headers: { 'x-oss-object-acl': 'public' } }),
        ec: '0017-00000104',
        message: 'no such object access control exists',
      },
    ])('refuses an unknown acl in $api with 400 InvalidArgument', async ({ act, ec, message }) => {
      // Prepare
      const client = clientFor(admin);

      // Act
      const error = await act(client).catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: ec });
      expect((error as Error).message).toBe(message);
    });

    it('answers 404 NoSuchKey for the acl of a missing object', async () => {
      // Prepare
      const client = clientFor(admin);

      // Act
      const get = await client.getACL('public/missing.txt').catch((e: unknown) => e);
      const put = await client.putACL('public/missing.txt', 'private').catch((e: unknown) => e);

      // Assess
      expect(get).toMatchObject({ status: 404, code: 'NoSuchKey' });
      expect(put).toMatchObject({ status: 404, code: 'NoSuchKey' });
    });

    it('keeps bucket and object acls across a restart with the same dataDir', async () => {
      // Prepare
      await clientFor(admin).putBucketACL(BUCKET, 'public-read');
      await clientFor(admin).putACL('public/a.txt', 'private');
      await server.close();

      // Act
      await start();
      const bucket = await oss.buckets.get(BUCKET);
      const object = await clientFor(admin).getACL('public/a.txt');

      // Assess
      expect(bucket?.acl).toBe('public-read');
      expect(object.acl).toBe('private');
    });
  });

  describe('the acl step', () => {
    it('serves an anonymous GET of an object in a public-read bucket with no policy, and refuses an anonymous PUT (V14)', async () => {
      // Prepare
      await oss.buckets.setAcl(BUCKET, 'public-read');

      // Act
      const read = await fetch(url('public/a.txt'));
      const write = await errorOf(await fetch(url('public/new.txt'), { method: 'PUT', body: 'x' }));

      // Assess
      expect(read.status).toBe(200);
      expect(await read.text()).toBe('a');
      expect(write).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(write.message).toContain('acl: ImplicitDeny (no object ACL: bucket ACL public-read, which grants no writes)');
    });

    it('lets an object acl private override a public-read bucket (V15)', async () => {
      // Prepare
      await oss.buckets.setAcl(BUCKET, 'public-read');
      await clientFor(admin).putACL('public/a.txt', 'private');

      // Act
      const read = await errorOf(await fetch(url('public/a.txt')));

      // Assess
      expect(read).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(read.message).toContain('acl: ImplicitDeny (object ACL private overrides bucket ACL public-read, which grants no reads)');
    });

    it('lets anyone write to a public-read-write bucket, but grants no bucket-level api (V17)', async () => {
      // Prepare
      await oss.buckets.setAcl(BUCKET, 'public-read-write');
      const nobody = ram.addUser(DATA, 'nobody');

      // Act
      const write = await fetch(url('public/anonymous.txt'), { method: 'PUT', body: 'anon' });
      const bucketAcl = await clientFor(nobody).getBucketACL(BUCKET).catch((e: unknown) => e);
      const list = await clientFor(nobody).list({ 'max-keys': 10 }, {}).catch((e: unknown) => e);

      // Assess
      expect(write.status).toBe(200);
      expect((await oss.objects.get(BUCKET, 'public/anonymous.txt'))?.body.toString()).toBe('anon');
      expect(bucketAcl).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((bucketAcl as Error).message).toContain('acl: not consulted (oss:GetBucketAcl on acs:oss:*:1000000000000001:acl-bucket-2024 is not a data api');
      expect(list).toMatchObject({ status: 403, code: 'AccessDenied' });
    });

    it('lets a cross-account user without a bucket policy read only once the object is public-read (V6)', async () => {
      // Prepare
      const outsider = ram.addUser(MEDIA, 'reader', [{ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:${DATA}:${BUCKET}/*` }] }]);
      const client = clientFor(outsider);
      const before = await client.get('public/a.txt').catch((e: unknown) => e);

      // Act
      await clientFor(admin).putACL('public/a.txt', 'public-read');
      const after = await client.get('public/a.txt');

      // Assess
      expect(before).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((before as Error).message).toContain('acl: ImplicitDeny (object ACL default inherits bucket ACL private, which grants no reads)');
      expect(after.content.toString()).toBe('a');
    });

    it('never lets a public acl override an explicit Deny of the bucket policy', async () => {
      // Prepare
      await oss.buckets.setAcl(BUCKET, 'public-read');
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${DATA}:${BUCKET}/public/*`], Condition: { StringNotLike: { 'acs:UserAgent': ['*aliyun-sdk-js*'] } } }],
      });

      // Act
      const read = await errorOf(await fetch(url('public/a.txt')));

      // Assess
      expect(read).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(read.message).toContain('acl: not consulted (an explicit deny is final)');
    });
  });

  describe('acl condition keys', () => {
    const denyPublicBucketAcl = {
      Version: '1',
      Statement: [
        { Effect: 'Deny', Action: ['oss:PutBucketAcl'], Principal: ['*'], Resource: [`acs:oss:*:${DATA}:${BUCKET}`], Condition: { StringNotEquals: { 'oss:x-oss-acl': 'private' } } },
      ],
    };
    const denyPublicObjects = {
      Version: '1',
      Statement: [
        {
          Effect: 'Deny',
          Action: ['oss:PutObject'],
          Principal: ['*'],
          Resource: [`acs:oss:*:${DATA}:${BUCKET}/*`],
          Condition: { StringNotEquals: { 'oss:x-oss-object-acl': ['private', 'default'] } },
        },
      ],
    };

    it.each([
      { acl: 'public-read', outcome: 'refused' },
      { acl: 'public-read-write', outcome: 'refused' },
      { acl: 'private', outcome: 'allowed' },
    ])('lets a PutBucketAcl Deny on StringNotEquals oss:x-oss-acl private leave $acl $outcome (C11)', async ({ acl, outcome }) => {
      // Prepare
      await oss.buckets.setPolicy(BUCKET, denyPublicBucketAcl);

      // Act
      const result = await clientFor(admin).putBucketACL(BUCKET, acl as OSS.ACLType).catch((e: unknown) => e);
      const after = await oss.buckets.get(BUCKET);

      // Assess
      if (outcome === 'refused') {
        expect(result).toMatchObject({ status: 403, code: 'AccessDenied' });
        expect(after?.acl).toBe('private');
      } else {
        expect(result).toMatchObject({ res: { status: 200 } });
      }
    });

    it.each([
      { upload: 'a plain upload', headers: {}, outcome: 'allowed' },
      { upload: 'x-oss-object-acl private', headers: { 'x-oss-object-acl': 'private' }, outcome: 'allowed' },
      { upload: 'x-oss-object-acl default', headers: { 'x-oss-object-acl': 'default' }, outcome: 'allowed' },
      { upload: 'x-oss-object-acl public-read', headers: { 'x-oss-object-acl': 'public-read' }, outcome: 'refused' },
    ])('lets a PutObject Deny on StringNotEquals oss:x-oss-object-acl [private, default] leave $upload $outcome (C12)', async ({ headers, outcome }) => {
      // Prepare
      await oss.buckets.setPolicy(BUCKET, denyPublicObjects);

      // Act
      const result = await clientFor(admin).put('public/d.txt', Buffer.from('d'), { headers }).catch((e: unknown) => e);

      // Assess
      if (outcome === 'refused') expect(result).toMatchObject({ status: 403, code: 'AccessDenied' });
      else expect(result).toMatchObject({ res: { status: 200 } });
    });

    it('fills acs:PrincipalARN with the caller and leaves acs:SourceVpc missing (a local request never comes from a VPC)', async () => {
      // Prepare
      const blocked = ram.addUser(DATA, 'blocked', [OSS_ALL]);
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [
          { Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${DATA}:${BUCKET}/*`], Condition: { StringLike: { 'acs:PrincipalARN': ['*:user/blocked'] } } },
          {
            Effect: 'Allow',
            Action: ['oss:GetObject'],
            Principal: ['*'],
            Resource: [`acs:oss:*:${DATA}:${BUCKET}/*`],
            Condition: { IpAddress: { 'acs:SourceIp': ['127.0.0.1/32', '::1'] }, StringNotLike: { 'acs:SourceVpc': ['vpc-*'] } },
          },
        ],
      });

      // Act
      const denied = await clientFor(blocked).get('public/a.txt').catch((e: unknown) => e);
      const allowed = await clientFor(admin).get('public/a.txt');
      const anonymous = await fetch(url('public/a.txt'));

      // Assess
      expect(denied).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(allowed.content.toString()).toBe('a');
      expect(anonymous.status).toBe(200);
    });

    it('hands oss:x-oss-object-acl to PutObjectAcl', async () => {
      // Prepare
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [{ ...denyPublicObjects.Statement[0], Action: ['oss:PutObjectAcl'] }],
      });
      const client = clientFor(admin);

      // Act
      const publicRead = await client.putACL('public/a.txt', 'public-read').catch((e: unknown) => e);
      const privateAcl = await client.putACL('public/a.txt', 'private');

      // Assess
      expect(publicRead).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((publicRead as Error).message).toContain('was denied oss:PutObjectAcl');
      expect(privateAcl).toMatchObject({ res: { status: 200 } });
    });
  });
});
