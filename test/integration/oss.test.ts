// The OSS emulator driven by the real ali-oss 6.23 client, once with V1 and once with V4 header signing.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { createOssEmulator, type OssEmulator, type OssEventRecord } from '../../local/oss';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { Telemetry } from '../../local/telemetry';
import { localOssClient } from '../helpers/oss';

const DATA = '1000000000000001';
const BUCKET = 'test-bucket-2024';
/** @types/ali-oss demands uid and pid in every meta object; the client itself takes any string map. */
const meta = (fields: Record<string, string | number>): OSS.UserMeta => fields as OSS.UserMeta;
/** @types/ali-oss types a bucket policy narrower than the policy language (e.g. no `Principal: []`). */
const bucketPolicy = (doc: unknown): OSS.BucketPolicy => doc as OSS.BucketPolicy;
const ADMIN_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] };

describe.each([
  { signing: 'V1', authorizationV4: false },
  { signing: 'V4', authorizationV4: true },
])('oss emulator with $signing header signing', ({ authorizationV4 }) => {
  let dataDir: string;
  let telemetry: Telemetry;
  let ram: Ram;
  let admin: AccessKey;
  let oss: OssEmulator;
  let server: RunningServer;
  let events: OssEventRecord[];
  let client: OSS;

  const newClient = (options: Record<string, unknown> = {}): OSS => localOssClient(server.port, BUCKET, admin, { authorizationV4, ...options });

  /** Events are delivered with setImmediate after the write; this waits for them without sleeping. */
  const waitForEvents = async (count: number): Promise<OssEventRecord[]> => {
    for (let turn = 0; events.length < count && turn < 1000; turn++) await new Promise((resolve) => setImmediate(resolve));
    return events;
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'oss-test-'));
    telemetry = new Telemetry();
    ram = new Ram(telemetry);
    ram.addAccount(DATA, 'data');
    admin = ram.addUser(DATA, 'admin', [ADMIN_POLICY]);
    events = [];
    oss = createOssEmulator({ ram, telemetry, dataDir, region: 'cn-hangzhou', onObjectCreated: (record) => events.push(record) });
    await oss.buckets.create(BUCKET, DATA);
    server = await oss.start(0);
    client = newClient();
  });

  afterEach(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts and gets an object whose key holds spaces, plus, percent and unicode', async () => {
    // Prepare
    const key = 'incoming/a b+c %25 中文.txt';
    const body = Buffer.from('hello world');

    // Act
    const put = await client.put(key, body, { meta: meta({ owner: 'me', pid: 7 }) });
    const got = await client.get(key);

    // Assess
    expect(put.res.status).toBe(200);
    expect(put.res.headers).toMatchObject({ etag: '"5EB63BBBE01EEED093CB22BB8F5ACDC3"' });
    expect((put.res.headers as Record<string, string>)['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expect(got.content.toString()).toBe('hello world');
    expect(got.res.headers).toMatchObject({ 'content-type': 'text/plain', 'content-length': '11', 'x-oss-meta-owner': 'me' });
    expect(telemetry.stats().calls).toMatchObject({ 'oss:PutObject': 1, 'oss:GetObject': 1 });
  });

  it.each([
    { range: 'bytes=0-4', status: 206, content: 'hello', contentRange: 'bytes 0-4/11' },
    { range: 'bytes=6-', status: 206, content: 'world', contentRange: 'bytes 6-10/11' },
    { range: 'bytes=-3', status: 206, content: 'rld', contentRange: 'bytes 8-10/11' },
    { range: 'bytes=5-100', status: 200, content: 'hello world', contentRange: undefined },
    { range: 'bytes=20-30', status: 200, content: 'hello world', contentRange: undefined },
  ])('answers Range $range with $status', async ({ range, status, content, contentRange }) => {
    // Prepare
    await client.put('r.txt', Buffer.from('hello world'));

    // Act
    const got = await client.get('r.txt', { headers: { Range: range } });

    // Assess
    expect(got.res.status).toBe(status);
    expect(got.content.toString()).toBe(content);
    expect((got.res.headers as Record<string, string>)['content-range']).toBe(contentRange);
  });

  it('refuses an unsatisfiable range with 416 when x-oss-range-behavior is standard', async () => {
    // Prepare
    await client.put('r.txt', Buffer.from('hello world'));

    // Act
    const error = await client.get('r.txt', { headers: { Range: 'bytes=20-30', 'x-oss-range-behavior': 'standard' } }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 416, code: 'InvalidRange' });
  });

  it('returns user metadata on head and reports a missing key as NoSuchKey', async () => {
    // Prepare
    await client.put('meta.bin', Buffer.from([1, 2, 3]), { meta: meta({ owner: 'me', 'x-y': 'z' }) });

    // Act
    const head = await client.head('meta.bin');
    const missing = await client.head('absent.bin').catch((e: unknown) => e);

    // Assess
    expect(head.status).toBe(200);
    expect(head.meta).toEqual({ owner: 'me', 'x-y': 'z' });
    expect((head.res.headers as Record<string, string>)['content-length']).toBe('3');
    expect(missing).toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('copies an object with its metadata, or replaces the metadata when asked', async () => {
    // Prepare
    await client.put('src/a b.txt', Buffer.from('payload'), { meta: meta({ owner: 'me' }) });

    // Act
    const copied = await client.copy('dst/kept.txt', 'src/a b.txt');
    const replaced = await client.copy('dst/replaced.txt', 'src/a b.txt', { meta: meta({ owner: 'other' }) });
    const kept = await client.head('dst/kept.txt');
    const changed = await client.head('dst/replaced.txt');
    const content = await client.get('dst/kept.txt');

    // Assess
    expect(copied.data).toMatchObject({ etag: '"321C3CF486ED509164EDEC1E1981FEC8"' });
    expect(replaced.res.status).toBe(200);
    expect(kept.meta).toEqual({ owner: 'me' });
    expect(changed.meta).toEqual({ owner: 'other' });
    expect(content.content.toString()).toBe('payload');
  });

  it('lists with prefix, delimiter, marker and max-keys (v1), every entry with its owner', async () => {
    // Prepare
    for (const key of ['a/1.txt', 'a/2.txt', 'b/1.txt', 'c.txt', 'd.txt']) await client.put(key, Buffer.from(key));

    // Act
    const folders = await client.list({ delimiter: '/', 'max-keys': 100 }, {});
    const first = await client.list({ prefix: 'a/', 'max-keys': 1 }, {});
    const second = await client.list({ prefix: 'a/', marker: first.nextMarker, 'max-keys': 1 }, {});
    const all = await client.list({ prefix: '', 'max-keys': 1000 }, {});

    // Assess
    expect(folders.prefixes).toEqual(['a/', 'b/']);
    expect(folders.objects.map((o) => o.name)).toEqual(['c.txt', 'd.txt']);
    expect(first).toMatchObject({ isTruncated: true, nextMarker: 'a/1.txt' });
    expect(second.objects.map((o) => o.name)).toEqual(['a/2.txt']);
    expect(second.isTruncated).toBe(false);
    expect(all.objects).toHaveLength(5);
    expect(all.objects[0]).toMatchObject({ name: 'a/1.txt', size: 7, type: 'Normal', owner: { id: DATA } });
  });

  it('pages with listV2 continuation tokens, start-after and fetch-owner', async () => {
    // Prepare
    for (const key of ['k1', 'k2', 'k3']) await client.put(key, Buffer.from(key));

    // Act
    const page1 = await client.listV2({ 'max-keys': 2, 'fetch-owner': true });
    const page2 = await client.listV2({ 'max-keys': 2, 'continuation-token': page1.nextContinuationToken });
    const after = await client.listV2({ 'start-after': 'k1' });

    // Assess
    expect(page1.objects.map((o) => o.name)).toEqual(['k1', 'k2']);
    expect(page1).toMatchObject({ isTruncated: true, keyCount: 2 });
    expect(page1.objects[0].owner).toMatchObject({ id: DATA });
    expect(page2.objects.map((o) => o.name)).toEqual(['k3']);
    expect(page2.isTruncated).toBe(false);
    expect(after.objects.map((o) => o.name)).toEqual(['k2', 'k3']);
  });

  it('deletes with 204, also for a key that does not exist', async () => {
    // Prepare
    await client.put('gone.txt', Buffer.from('x'));

    // Act
    const deleted = await client.delete('gone.txt');
    const again = await client.delete('gone.txt');
    const get = await client.get('gone.txt').catch((e: unknown) => e);

    // Assess
    expect(deleted.res.status).toBe(204);
    expect(again.res.status).toBe(204);
    expect(get).toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('deletes several objects at once, keys with XML-special characters included', async () => {
    // Prepare
    const keys = ["tmp/a&b'c.txt", 'tmp/<x> "y".txt', 'tmp/plain.txt'];
    for (const key of keys) await client.put(key, Buffer.from('x'));

    // Act
    const result = await client.deleteMulti([...keys, 'tmp/never-existed.txt']);
    const left = await client.list({ prefix: 'tmp/', 'max-keys': 10 }, {});

    // Assess
    expect((result.deleted ?? []).map((d) => (d as unknown as { Key: string }).Key).sort()).toEqual([...keys, 'tmp/never-existed.txt'].sort());
    expect(left.objects).toEqual([]);
  });

  it('refuses to overwrite with x-oss-forbid-overwrite: true (409 FileAlreadyExists)', async () => {
    // Prepare
    await client.put('once.txt', Buffer.from('first'));

    // Act
    const error = await client.put('once.txt', Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } }).catch((e: unknown) => e);
    const fresh = await client.put('new.txt', Buffer.from('x'), { headers: { 'x-oss-forbid-overwrite': 'true' } });
    const kept = await client.get('once.txt');

    // Assess
    expect(error).toMatchObject({ status: 409, code: 'FileAlreadyExists', name: 'FileAlreadyExistsError' });
    expect(fresh.res.status).toBe(200);
    expect(kept.content.toString()).toBe('first');
  });

  // ali-oss getBucketPolicy sets its success statuses only after the request, so a 404 comes back as
  // `{ policy: null, status: 404 }` instead of an error; the XML body still carries the code.
  it('puts, gets and deletes a bucket policy; a missing policy is 404 NoSuchBucketPolicy', async () => {
    // Prepare
    const policy = {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${BUCKET}/public/*`] }],
    };

    // Act
    const put = await client.putBucketPolicy(BUCKET, bucketPolicy(policy));
    const got = await client.getBucketPolicy(BUCKET);
    const deleted = await client.deleteBucketPolicy(BUCKET);
    const missing = await client.getBucketPolicy(BUCKET);

    // Assess
    expect(put.status).toBe(200);
    expect(got.policy).toEqual(policy);
    expect(deleted.status).toBe(204);
    expect(missing).toMatchObject({ status: 404, policy: null });
    expect(String((missing.res as unknown as { data: Buffer }).data)).toContain('<Code>NoSuchBucketPolicy</Code>');
  });

  it('rejects an invalid bucket policy with 400 InvalidPolicyDocument naming the problem', async () => {
    // Prepare
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: { RAM: ['*'] }, Resource: ['*'] }] };

    // Act
    const error = await client.putBucketPolicy(BUCKET, bucketPolicy(policy)).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidPolicyDocument' });
    expect((error as Error).message).toMatch(/Statement\[0\]\.Principal/);
  });

  it('rejects a bucket policy larger than 16 KB', async () => {
    // Prepare
    const resources = Array.from({ length: 400 }, (_, i) => `acs:oss:*:*:${BUCKET}/some/long/prefix/number/${i}/*`);
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: resources }] };

    // Act
    const error = await client.putBucketPolicy(BUCKET, bucketPolicy(policy)).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidPolicyDocument' });
    expect((error as Error).message).toMatch(/16384 bytes/);
  });

  it('emits an ObjectCreated:PutObject record shaped like the FC OSS trigger payload', async () => {
    // Prepare
    const body = Buffer.from('jpeg bytes');

    // Act
    const put = await client.put('incoming/photo 1.jpg', body);
    const [record] = await waitForEvents(1);

    // Assess
    expect(record).toEqual({
      eventName: 'ObjectCreated:PutObject',
      eventSource: 'acs:oss',
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      eventVersion: '1.0',
      oss: {
        bucket: { arn: `acs:oss:cn-hangzhou:${DATA}:${BUCKET}`, name: BUCKET, ownerIdentity: DATA, virtualBucket: '' },
        object: { deltaSize: 10, eTag: createHash('md5').update(body).digest('hex').toUpperCase(), key: 'incoming/photo 1.jpg', size: 10 },
        ossSchemaVersion: '1.0',
        ruleId: expect.stringMatching(/^[0-9a-f]{40}$/),
      },
      region: 'cn-hangzhou',
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { requestId: (put.res.headers as Record<string, string>)['x-oss-request-id'] },
      userIdentity: { principalId: expect.any(String) },
    });
    expect(`"${record.oss.object.eTag}"`).toBe((put.res.headers as Record<string, string>).etag);
  });

  it('reports the size change of an overwrite as deltaSize', async () => {
    // Prepare
    await client.put('incoming/grow.txt', Buffer.from('12345'));
    await waitForEvents(1);

    // Act
    await client.put('incoming/grow.txt', Buffer.from('12'));
    const all = await waitForEvents(2);

    // Assess
    expect(all[1].oss.object).toMatchObject({ size: 2, deltaSize: -3 });
  });

  it('emits ObjectCreated:CopyObject for a copy', async () => {
    // Prepare
    await client.put('src.txt', Buffer.from('abc'));
    await waitForEvents(1);

    // Act
    await client.copy('incoming/copied.txt', 'src.txt');
    const all = await waitForEvents(2);

    // Assess
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ eventName: 'ObjectCreated:CopyObject', oss: { object: { key: 'incoming/copied.txt', size: 3 } } });
  });

  it('accepts the virtual-host Host header that ali-oss sends for an IP endpoint', async () => {
    // Prepare
    const ipClient = newClient({ endpoint: `http://127.0.0.1:${server.port}`, sldEnable: false });

    // Act
    await ipClient.put('dir/ip mode.txt', Buffer.from('via host'));
    const got = await client.get('dir/ip mode.txt');

    // Assess
    expect(got.content.toString()).toBe('via host');
  });

  it('injects faults configured through telemetry', async () => {
    // Prepare
    await client.put('f.txt', Buffer.from('x'));
    telemetry.setFaults([{ service: 'oss', action: 'GetObject', rate: 1, status: 503, code: 'ServiceUnavailable' }]);

    // Act
    const error = await client.get('f.txt').catch((e: unknown) => e);
    const put = await client.put('g.txt', Buffer.from('y'));

    // Assess
    expect(error).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    expect(put.res.status).toBe(200);
  });
});
