// Object and bucket tagging in the OSS emulator with the real ali-oss client: round trips, the x-oss-tagging header,
// CopyObject's tagging directive, OSS's limits, persistence, and the tag condition keys (oss:ExistingObjectTag/<k>,
// oss:BucketTag/<k>, oss:RequestObjectTag/<k>) in bucket and RAM policies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { createOssEmulator, type OssEmulator } from '../../local/oss';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { Telemetry } from '../../local/telemetry';
import { localOssClient } from '../helpers/oss';

const DATA = '1000000000000001';
const BUCKET = 'tagged-bucket-2024';
const OSS_ALL = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] };

/** ali-oss 6.23 has these methods, but its type definitions leave them out. */
interface TaggingApi {
  putObjectTagging(name: string, tag: Record<string, string>): Promise<{ status: number }>;
  getObjectTagging(name: string): Promise<{ status: number; tag: Record<string, string> }>;
  deleteObjectTagging(name: string): Promise<{ status: number }>;
  putBucketTags(name: string, tag: Record<string, string>): Promise<{ status: number }>;
  getBucketTags(name: string): Promise<{ status: number; tag: Record<string, string> }>;
  deleteBucketTags(name: string): Promise<{ status: number }>;
}

/** ali-oss checks tags client-side; this sends a `<Tagging>` body as-is, so the emulator's own limits are what answers. */
async function putRawTagging(client: OSS, key: string | undefined, tags: [string, string][]): Promise<unknown> {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
  const internal = client as unknown as {
    request(params: Record<string, unknown>): Promise<unknown>;
    _bucketRequestParams(method: string, bucket: string, subres: string): Record<string, unknown>;
    _objectRequestParams(method: string, name: string, options: Record<string, unknown>): Record<string, unknown>;
  };
  const params = key === undefined ? internal._bucketRequestParams('PUT', BUCKET, 'tagging') : internal._objectRequestParams('PUT', key, { subres: { tagging: '' } });
  return internal.request({ ...params, mime: 'xml', content: xml, successStatuses: [200] });
}

describe('oss emulator tagging', () => {
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

  const clientFor = (key: AccessKey): OSS & TaggingApi => localOssClient(server.port, BUCKET, key) as OSS & TaggingApi;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'oss-tagging-'));
    ram = new Ram();
    ram.addAccount(DATA, 'data');
    admin = ram.addUser(DATA, 'admin', [OSS_ALL]);
    await start();
  });

  afterEach(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('object tags', () => {
    it('puts, gets and deletes the tags of an object, keeping its data and ETag', async () => {
      // Prepare
      const client = clientFor(admin);
      const put = await client.put('docs/a.txt', Buffer.from('hello'));
      const untagged = await client.getObjectTagging('docs/a.txt');

      // Act
      await client.putObjectTagging('docs/a.txt', { status: 'secret', 'team name': 'media:imm/1' });
      const tagged = await client.getObjectTagging('docs/a.txt');
      const head = await client.head('docs/a.txt');
      await client.deleteObjectTagging('docs/a.txt');
      const deleted = await client.getObjectTagging('docs/a.txt');

      // Assess
      expect(untagged.tag).toEqual({});
      expect(tagged.tag).toEqual({ status: 'secret', 'team name': 'media:imm/1' });
      expect((head.res.headers as Record<string, string>).etag).toBe((put.res.headers as Record<string, string>).etag);
      expect(deleted.tag).toEqual({});
    });

    it('tags an upload from the x-oss-tagging header, and a plain overwrite drops them', async () => {
      // Prepare
      const client = clientFor(admin);

      // Act
      await client.put('docs/b.txt', Buffer.from('b'), { headers: { 'x-oss-tagging': 'status=secret&project=a%20b&empty' } });
      const tagged = await client.getObjectTagging('docs/b.txt');
      await client.put('docs/b.txt', Buffer.from('b2'));
      const overwritten = await client.getObjectTagging('docs/b.txt');

      // Assess
      expect(tagged.tag).toEqual({ status: 'secret', project: 'a b', empty: '' });
      expect(overwritten.tag).toEqual({});
    });

    it.each([
      { directive: 'the default (Copy)', headers: {}, expected: { status: 'secret' } },
      { directive: 'Replace', headers: { 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'status=public' }, expected: { status: 'public' } },
      { directive: 'Replace without tags', headers: { 'x-oss-tagging-directive': 'Replace' }, expected: {} },
    ])('copies an object with tagging directive $directive', async ({ headers, expected }) => {
      // Prepare
      const client = clientFor(admin);
      await client.put('docs/src.txt', Buffer.from('src'), { headers: { 'x-oss-tagging': 'status=secret' } });

      // Act
      await client.copy('docs/dst.txt', 'docs/src.txt', { headers: { ...headers } });
      const copied = await client.getObjectTagging('docs/dst.txt');

      // Assess
      expect(copied.tag).toEqual(expected);
    });

    it.each([
      { limit: '11 tags', tags: Array.from({ length: 11 }, (_, i): [string, string] => [`k${i}`, 'v']), ec: '0010-00000218' },
      { limit: 'a 129-character key', tags: [['k'.repeat(129), 'v']] as [string, string][], ec: '0010-00000209' },
      { limit: 'a 257-character value', tags: [['k', 'v'.repeat(257)]] as [string, string][], ec: '0010-00000217' },
      { limit: 'a character outside the set', tags: [['k', 'v;drop']] as [string, string][], ec: '0010-00000217' },
      { limit: 'a repeated key', tags: [['k', '1'], ['k', '2']] as [string, string][], ec: '0010-00000217' },
    ])('refuses $limit with 400 InvalidTag and leaves the tags as they were', async ({ tags, ec }) => {
      // Prepare
      const client = clientFor(admin);
      await client.put('docs/c.txt', Buffer.from('c'), { headers: { 'x-oss-tagging': 'keep=me' } });

      // Act
      const error = await putRawTagging(client, 'docs/c.txt', tags).catch((e: unknown) => e);
      const after = await client.getObjectTagging('docs/c.txt');

      // Assess
      expect(error).toMatchObject({ status: 400, code: 'InvalidTag', ecCode: ec });
      expect(after.tag).toEqual({ keep: 'me' });
    });

    it('refuses a malformed x-oss-tagging header with 400 InvalidTag and stores nothing', async () => {
      // Prepare
      const client = clientFor(admin);

      // Act
      const error = await client.put('docs/d.txt', Buffer.from('d'), { headers: { 'x-oss-tagging': 'aa=bb=cc' } }).catch((e: unknown) => e);
      const stored = await oss.objects.get(BUCKET, 'docs/d.txt');

      // Assess
      expect(error).toMatchObject({ status: 400, code: 'InvalidTag', ecCode: '0010-00000219' });
      expect(stored).toBeUndefined();
    });

    it('answers 404 NoSuchKey for the tags of a missing object', async () => {
      // Prepare
      const client = clientFor(admin);

      // Act
      const get = await client.getObjectTagging('docs/missing.txt').catch((e: unknown) => e);
      const put = await client.putObjectTagging('docs/missing.txt', { a: 'b' }).catch((e: unknown) => e);

      // Assess
      expect(get).toMatchObject({ status: 404, code: 'NoSuchKey' });
      expect(put).toMatchObject({ status: 404, code: 'NoSuchKey' });
    });
  });

  describe('bucket tags', () => {
    it('puts, gets and deletes the tags of a bucket', async () => {
      // Prepare
      const client = clientFor(admin);
      const untagged = await client.getBucketTags(BUCKET);

      // Act
      await client.putBucketTags(BUCKET, { team: 'media', env: 'dev' });
      const tagged = await client.getBucketTags(BUCKET);
      await client.deleteBucketTags(BUCKET);
      const deleted = await client.getBucketTags(BUCKET);

      // Assess
      expect(untagged.tag).toEqual({});
      expect(tagged.tag).toEqual({ team: 'media', env: 'dev' });
      expect(deleted.tag).toEqual({});
    });

    it.each([
      { limit: '21 tags', tags: Array.from({ length: 21 }, (_, i): [string, string] => [`k${i}`, 'v']), ec: undefined },
      { limit: 'a 65-byte key', tags: [['k'.repeat(65), 'v']] as [string, string][], ec: '0010-00000219' },
      { limit: 'a 129-byte value', tags: [['k', 'v'.repeat(129)]] as [string, string][], ec: '0010-00000219' },
      { limit: 'a key starting with Aliyun', tags: [['Aliyun-team', 'v']] as [string, string][], ec: '0010-00000207' },
      { limit: 'a key starting with acs', tags: [['acs:team', 'v']] as [string, string][], ec: '0010-00000002' },
    ])('refuses $limit with 400 InvalidTag', async ({ tags, ec }) => {
      // Prepare
      const client = clientFor(admin);

      // Act
      const error = await putRawTagging(client, undefined, tags).catch((e: unknown) => e);
      const after = await client.getBucketTags(BUCKET);

      // Assess
      expect(error).toMatchObject({ status: 400, code: 'InvalidTag' });
      expect((error as { ecCode?: string }).ecCode).toBe(ec);
      expect(after.tag).toEqual({});
    });
  });

  it('keeps object and bucket tags across a restart with the same dataDir', async () => {
    // Prepare
    await clientFor(admin).put('docs/e.txt', Buffer.from('e'), { headers: { 'x-oss-tagging': 'status=kept' } });
    await clientFor(admin).putBucketTags(BUCKET, { team: 'media' });
    await server.close();

    // Act
    await start();
    const objectTags = await clientFor(admin).getObjectTagging('docs/e.txt');
    const bucket = await oss.buckets.get(BUCKET);

    // Assess
    expect(objectTags.tag).toEqual({ status: 'kept' });
    expect(bucket?.tags).toEqual({ team: 'media' });
  });

  describe('tag condition keys', () => {
    it('lets a bucket-policy Deny on oss:ExistingObjectTag/status block GetObject of the tagged objects only', async () => {
      // Prepare
      const client = clientFor(admin);
      await client.put('docs/secret.txt', Buffer.from('s'), { headers: { 'x-oss-tagging': 'status=secret' } });
      await client.put('docs/open.txt', Buffer.from('o'), { headers: { 'x-oss-tagging': 'status=open' } });
      await client.put('docs/plain.txt', Buffer.from('p'));
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [
          { Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${DATA}:${BUCKET}/*`], Condition: { StringEquals: { 'oss:ExistingObjectTag/status': 'secret' } } },
        ],
      });

      // Act
      const secret = await client.get('docs/secret.txt').catch((e: unknown) => e);
      const secretHead = await client.head('docs/secret.txt').catch((e: unknown) => e);
      const open = await client.get('docs/open.txt');
      const plain = await client.get('docs/plain.txt');

      // Assess
      expect(secret).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((secret as Error).message).toMatch(/^You have no right to access this object because of bucket policy\./);
      expect(secretHead).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(open.content.toString()).toBe('o');
      expect(plain.content.toString()).toBe('p');
    });

    it('lets a bucket-policy Allow conditioned on oss:BucketTag/team grant a user once the bucket carries the tag', async () => {
      // Prepare
      await clientFor(admin).put('docs/f.txt', Buffer.from('f'));
      const reader = ram.addUser(DATA, 'reader');
      await oss.buckets.setPolicy(BUCKET, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [reader.caller.userId!], Resource: [`acs:oss:*:${DATA}:${BUCKET}/*`], Condition: { StringEquals: { 'oss:BucketTag/team': 'media' } } }],
      });

      // Act
      const before = await clientFor(reader).get('docs/f.txt').catch((e: unknown) => e);
      await clientFor(admin).putBucketTags(BUCKET, { team: 'media' });
      const after = await clientFor(reader).get('docs/f.txt');

      // Assess
      expect(before).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((before as Error).message).toContain('a condition failed: Statement[0] StringEquals oss:BucketTag/team');
      expect(after.content.toString()).toBe('f');
    });

    it('hands the tags of an upload to oss:RequestObjectTag/<k>', async () => {
      // Prepare
      const uploader = ram.addUser(DATA, 'uploader', [
        { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:PutObject', Resource: `acs:oss:*:*:${BUCKET}/*`, Condition: { StringEquals: { 'oss:RequestObjectTag/project': 'imm' } } }] },
      ]);
      const client = clientFor(uploader);

      // Act
      const tagged = await client.put('docs/g.txt', Buffer.from('g'), { headers: { 'x-oss-tagging': 'project=imm' } });
      const untagged = await client.put('docs/h.txt', Buffer.from('h')).catch((e: unknown) => e);

      // Assess
      expect(tagged.res.status).toBe(200);
      expect(untagged).toMatchObject({ status: 403, code: 'AccessDenied' });
    });

    it('governs the tagging apis by their own actions', async () => {
      // Prepare
      await clientFor(admin).put('docs/i.txt', Buffer.from('i'));
      const tagger = ram.addUser(DATA, 'tagger', [
        { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObjectTagging', 'oss:GetObjectTagging'], Resource: `acs:oss:*:*:${BUCKET}/*` }] },
      ]);
      const client = clientFor(tagger);

      // Act
      await client.putObjectTagging('docs/i.txt', { a: '1' });
      const got = await client.getObjectTagging('docs/i.txt');
      const deleted = await client.deleteObjectTagging('docs/i.txt').catch((e: unknown) => e);
      const bucketTags = await client.getBucketTags(BUCKET).catch((e: unknown) => e);

      // Assess
      expect(got.tag).toEqual({ a: '1' });
      expect(deleted).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((deleted as Error).message).toContain('was denied oss:DeleteObjectTagging');
      expect(bucketTags).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((bucketTags as Error).message).toContain('was denied oss:GetBucketTagging');
    });
  });
});
