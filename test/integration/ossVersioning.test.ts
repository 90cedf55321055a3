// Bucket versioning in the OSS emulator, driven by the real ali-oss client: PutBucketVersioning and
// GetBucketVersioning, a version per PUT, x-oss-forbid-overwrite ignored once versioning was ever set, reads by
// version id, delete markers and ListObjectVersions (OSS API reference; ali-oss test/node/multiversion.test.js).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { createOssEmulator, type OssEmulator } from '../../local/oss';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { Telemetry } from '../../local/telemetry';
import { localOssClient, versioningCalls } from '../helpers/oss';

const DATA = '1000000000000001';
const OTHER = '2000000000000002';
const BUCKET = 'versioned-bucket';
const ADMIN_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] };
const forbid = { headers: { 'x-oss-forbid-overwrite': 'true' } };

interface SdkError {
  status?: number;
  code?: string;
}
/**
 * The status (and code) of a call expected to fail. ali-oss throws for most calls, but putBucketVersioning sets no
 * successStatuses, so an error response resolves with its status (lib/common/bucket/putBucketVersioning.js).
 */
const failure = (promise: Promise<unknown>): Promise<SdkError> =>
  promise.then(
    (result) => ({ status: (result as { status?: number }).status ?? 0 }),
    (error: SdkError) => error,
  );
const header = (res: { headers: unknown }, name: string): string | undefined => (res.headers as Record<string, string | undefined>)[name];

describe('oss emulator: bucket versioning', () => {
  let dataDir: string;
  let ram: Ram;
  let admin: AccessKey;
  let oss: OssEmulator;
  let server: RunningServer;
  let client: OSS;

  const clientFor = (key: AccessKey): OSS => localOssClient(server.port, BUCKET, key, { authorizationV4: true });

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'oss-versioning-'));
    const telemetry = new Telemetry();
    ram = new Ram(telemetry);
    ram.addAccount(DATA, 'data');
    ram.addAccount(OTHER, 'other');
    admin = ram.addUser(DATA, 'admin', [ADMIN_POLICY]);
    oss = createOssEmulator({ ram, telemetry, dataDir, region: 'cn-hangzhou' });
    await oss.buckets.create(BUCKET, DATA);
    server = await oss.start(0);
    client = clientFor(admin);
  });

  afterEach(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports no status for a bucket never versioned, then Enabled and Suspended as set', async () => {
    // Prepare
    const calls = versioningCalls(client);

    // Act
    const before = await calls.getBucketVersioning(BUCKET);
    await calls.putBucketVersioning(BUCKET, 'Enabled');
    const enabled = await calls.getBucketVersioning(BUCKET);
    await calls.putBucketVersioning(BUCKET, 'Suspended');
    const suspended = await calls.getBucketVersioning(BUCKET);

    // Assess
    expect(before).toMatchObject({ status: 200, versionStatus: undefined });
    expect(enabled.versionStatus).toBe('Enabled');
    expect(suspended.versionStatus).toBe('Suspended');
  });

  it('refuses a status other than Enabled or Suspended: a bucket never goes back to unversioned', async () => {
    // Prepare: ali-oss itself refuses other values, so the request is sent raw through its signing `request`.
    const raw = client as unknown as { request(params: Record<string, unknown>): Promise<unknown>; _bucketRequestParams(m: string, b: string, s: string): Record<string, unknown> };
    const params = { ...raw._bucketRequestParams('PUT', BUCKET, 'versioning'), mime: 'xml', content: '<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>' };

    // Act
    const error = await failure(raw.request(params));

    // Assess
    expect(error).toMatchObject({ status: 400 });
    expect((await versioningCalls(client).getBucketVersioning(BUCKET)).versionStatus).toBeUndefined();
  });

  it('allows versioning calls to the owner and to grants of oss:PutBucketVersioning / oss:GetBucketVersioning only', async () => {
    // Prepare
    const reader = ram.addUser(DATA, 'reader', [{ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetBucketVersioning', Resource: `acs:oss:*:*:${BUCKET}` }] }]);
    const stranger = ram.addUser(OTHER, 'stranger', [ADMIN_POLICY]);

    // Act
    const read = await versioningCalls(clientFor(reader)).getBucketVersioning(BUCKET);
    const readerPut = await failure(versioningCalls(clientFor(reader)).putBucketVersioning(BUCKET, 'Enabled'));
    const strangerGet = await failure(versioningCalls(clientFor(stranger)).getBucketVersioning(BUCKET));

    // Assess
    expect(read.status).toBe(200);
    expect(readerPut.status).toBe(403);
    expect(strangerGet).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('honours x-oss-forbid-overwrite on a bucket that was never versioned, and sends no version id', async () => {
    // Prepare
    const first = await client.put('claims/a.claim', Buffer.from('first'), forbid);

    // Act
    const second = await failure(client.put('claims/a.claim', Buffer.from('second'), forbid));

    // Assess
    expect(header(first.res, 'x-oss-version-id')).toBeUndefined();
    expect(second).toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    expect((await client.get('claims/a.claim')).content.toString()).toBe('first');
  });

  it('makes a new version for every PUT while Enabled, even with x-oss-forbid-overwrite, and reads each by version id', async () => {
    // Prepare
    await versioningCalls(client).putBucketVersioning(BUCKET, 'Enabled');

    // Act
    const first = await client.put('claims/a.claim', Buffer.from('first'), forbid);
    const second = await client.put('claims/a.claim', Buffer.from('second'), forbid);
    const v1 = header(first.res, 'x-oss-version-id') ?? '';
    const v2 = header(second.res, 'x-oss-version-id') ?? '';

    // Assess
    expect(v1).toMatch(/^CAEQ/);
    expect(v2).toMatch(/^CAEQ/);
    expect(v2).not.toBe(v1);
    expect((await client.get('claims/a.claim')).content.toString()).toBe('second');
    const old = await client.get('claims/a.claim', { versionId: v1 } as OSS.GetObjectOptions);
    expect(old.content.toString()).toBe('first');
    expect(header(old.res, 'x-oss-version-id')).toBe(v1);
    const head = await client.head('claims/a.claim', { versionId: v1 } as OSS.HeadObjectOptions);
    expect(header(head.res, 'content-length')).toBe('5');
  });

  it('ignores x-oss-forbid-overwrite while Suspended too: the write replaces the `null` version', async () => {
    // Prepare
    await versioningCalls(client).putBucketVersioning(BUCKET, 'Enabled');
    const kept = await client.put('claims/a.claim', Buffer.from('enabled'));
    await versioningCalls(client).putBucketVersioning(BUCKET, 'Suspended');

    // Act
    const first = await client.put('claims/a.claim', Buffer.from('first'), forbid);
    const second = await client.put('claims/a.claim', Buffer.from('second'), forbid);
    const listed = await versioningCalls(client).getBucketVersions({ prefix: 'claims/' });

    // Assess
    expect(header(first.res, 'x-oss-version-id')).toBe('null');
    expect(header(second.res, 'x-oss-version-id')).toBe('null');
    expect((await client.get('claims/a.claim')).content.toString()).toBe('second');
    expect(listed.objects.map((o) => [o.versionId, o.isLatest, o.size])).toEqual([
      ['null', true, 6],
      [header(kept.res, 'x-oss-version-id'), false, 7],
    ]);
  });

  it('hides an object behind a delete marker, which a versioned delete removes again', async () => {
    // Prepare
    await versioningCalls(client).putBucketVersioning(BUCKET, 'Enabled');
    const put = await client.put('incoming/a.jpg', Buffer.from('bytes'));
    const versionId = header(put.res, 'x-oss-version-id') ?? '';

    // Act
    const deleted = await client.delete('incoming/a.jpg');
    const markerId = header(deleted.res, 'x-oss-version-id') ?? '';
    const current = await failure(client.get('incoming/a.jpg'));
    const marker = await failure(client.get('incoming/a.jpg', { versionId: markerId } as OSS.GetObjectOptions));
    const listedWhileHidden = await client.list({ prefix: 'incoming/', 'max-keys': 10 }, {});
    const versions = await versioningCalls(client).getBucketVersions({ prefix: 'incoming/' });
    await client.delete('incoming/a.jpg', { versionId: markerId } as OSS.RequestOptions);

    // Assess
    expect(header(deleted.res, 'x-oss-delete-marker')).toBe('true');
    expect(markerId).not.toBe(versionId);
    expect(current.status).toBe(404);
    expect(marker.status).toBe(405);
    expect(listedWhileHidden.objects ?? []).toEqual([]);
    expect(versions.deleteMarker.map((m) => m.versionId)).toEqual([markerId]);
    expect(versions.objects.map((o) => o.versionId)).toEqual([versionId]);
    expect((await client.get('incoming/a.jpg')).content.toString()).toBe('bytes');
  });

  it('keeps versions across a restart of the emulator on the same data directory', async () => {
    // Prepare
    await versioningCalls(client).putBucketVersioning(BUCKET, 'Enabled');
    const first = await client.put('k.txt', Buffer.from('one'));
    await client.put('k.txt', Buffer.from('two'));
    await server.close();
    oss = createOssEmulator({ ram, telemetry: new Telemetry(), dataDir, region: 'cn-hangzhou' });
    server = await oss.start(0);
    const restarted = clientFor(admin);

    // Act
    const status = await versioningCalls(restarted).getBucketVersioning(BUCKET);
    const old = await restarted.get('k.txt', { versionId: header(first.res, 'x-oss-version-id') } as OSS.GetObjectOptions);

    // Assess
    expect(status.versionStatus).toBe('Enabled');
    expect(old.content.toString()).toBe('one');
    expect((await restarted.get('k.txt')).content.toString()).toBe('two');
  });
});
