// The OSS emulator's on-disk state: any UTF-8 key, restart safety, atomic forbid-overwrite, byte-order listing.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '../../local/oss/FileStore';
import type { BucketRecord, ObjectRecord } from '../../local/oss/store';

const BUCKET: BucketRecord = { name: 'bkt', ownerUid: '1000000000000001', region: 'cn-hangzhou', createdAt: '2026-01-01T00:00:00.000Z', policy: null };

const record = (key: string, size: number): ObjectRecord => ({
  key,
  size,
  etag: 'D41D8CD98F00B204E9800998ECF8427E',
  lastModified: '2026-01-01T00:00:00.000Z',
  contentType: 'application/octet-stream',
  userMeta: {},
  headers: {},
});

describe('FileStore', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'oss-store-'));
    await new FileStore(dataDir).putBucket(BUCKET);
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each(['a b+c.txt', '100%/x', '中文/ключ/🙂.jpg', '../../etc/passwd', 'a\\b', 'x'.repeat(1023)])('stores and reloads key %j', async (key) => {
    // Prepare
    await new FileStore(dataDir).putObject('bkt', record(key, 3), Buffer.from('abc'));

    // Act
    const reloaded = await new FileStore(dataDir).getObject('bkt', key);

    // Assess
    expect(reloaded?.record.key).toBe(key);
    expect(reloaded?.body.toString()).toBe('abc');
  });

  it('lets exactly one of two concurrent if-absent writes win', async () => {
    // Prepare
    const store = new FileStore(dataDir);

    // Act
    const results = await Promise.all([
      store.putObject('bkt', record('k', 1), Buffer.from('1'), { ifAbsent: true }),
      store.putObject('bkt', record('k', 2), Buffer.from('22'), { ifAbsent: true }),
    ]);

    // Assess
    expect(results.map((r) => r.written).sort()).toEqual([false, true]);
  });

  it('returns the replaced record and leaves one data file per key', async () => {
    // Prepare
    const store = new FileStore(dataDir);
    await store.putObject('bkt', record('k', 1), Buffer.from('1'));

    // Act
    const second = await store.putObject('bkt', record('k', 2), Buffer.from('22'));

    // Assess
    expect(second.previous?.size).toBe(1);
    const files = readdirSync(path.join(dataDir, 'oss', 'objects', 'bkt'));
    expect(files.filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    expect((await new FileStore(dataDir).getObject('bkt', 'k'))?.body.toString()).toBe('22');
  });

  it('lists in UTF-8 byte order and forgets deleted keys across a reload', async () => {
    // Prepare
    const store = new FileStore(dataDir);
    for (const key of ['b', '\u{1F642}', '\uFF21', 'a']) await store.putObject('bkt', record(key, 0), Buffer.alloc(0));
    await store.deleteObject('bkt', 'b');

    // Act
    const listed = await new FileStore(dataDir).listObjects('bkt');

    // Assess
    // U+FF21 is EF BC A1 in UTF-8 and sorts before U+1F642 (F0 9F 99 82), unlike in UTF-16 order.
    expect(listed.map((o) => o.key)).toEqual(['a', '\uFF21', '\u{1F642}']);
  });

  it('removes data files no metadata points at when a bucket is loaded', async () => {
    // Prepare
    const dir = path.join(dataDir, 'oss', 'objects', 'bkt');
    await new FileStore(dataDir).putObject('bkt', record('k', 1), Buffer.from('1'));
    writeFileSync(path.join(dir, 'deadbeef.0000.bin'), 'half-written');

    // Act
    await new FileStore(dataDir).listObjects('bkt');

    // Assess
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  });

  it('refuses a bucket name that could escape the data directory', async () => {
    // Prepare
    const store = new FileStore(dataDir);

    // Act
    const read = store.getBucket('../x');

    // Assess
    await expect(read).rejects.toThrow('unsafe bucket name');
  });
});
