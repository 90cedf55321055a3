// The OSS emulator's on-disk state: any UTF-8 key, restart safety, atomic forbid-overwrite, byte-order listing,
// uploads streamed to a staging file with their MD5, reads streamed from an open file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '../../local/oss/FileStore';
import { readAllBytes, type BucketRecord, type ObjectRecord } from '../../local/oss/store';

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
    expect((await readAllBytes(reloaded!.body)).toString()).toBe('abc');
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
    expect((await readAllBytes((await new FileStore(dataDir).getObject('bkt', 'k'))!.body)).toString()).toBe('22');
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

  describe('staged uploads', () => {
    /** A source that yields `count` chunks of `size` bytes, as a request body arrives. */
    async function* chunks(count: number, size: number, fill = 7): AsyncGenerator<Buffer> {
      for (let i = 0; i < count; i++) yield Buffer.alloc(size, fill + i);
    }
    const stagingFiles = () => readdirSync(path.join(dataDir, 'oss', 'objects', 'bkt')).filter((f) => f.startsWith('upload.tmp-'));

    it('hashes the bytes as they arrive and commits them by a rename', async () => {
      // Prepare
      const store = new FileStore(dataDir);
      const expected = Buffer.concat([...Array(4).keys()].map((i) => Buffer.alloc(1000, 7 + i)));
      // Act
      const staged = await store.stage('bkt', chunks(4, 1000));
      const stagedBefore = stagingFiles();
      await store.putObject('bkt', record('big', staged.size), staged);
      await store.discard('bkt', staged);
      const read = await new FileStore(dataDir).getObject('bkt', 'big');
      // Assess
      expect(staged.size).toBe(4000);
      expect(staged.md5.equals(createHash('md5').update(expected).digest())).toBe(true);
      expect(stagedBefore).toHaveLength(1);
      expect(stagingFiles()).toEqual([]);
      expect((await readAllBytes(read!.body)).equals(expected)).toBe(true);
    });

    it('leaves nothing behind when the source fails midway, or when the upload is discarded', async () => {
      // Prepare
      const store = new FileStore(dataDir);
      async function* failing(): AsyncGenerator<Buffer> {
        yield Buffer.alloc(1000);
        throw new Error('connection lost');
      }
      // Act
      const failed = await store.stage('bkt', failing()).catch((error: Error) => error);
      const dropped = await store.stage('bkt', chunks(2, 10));
      await store.discard('bkt', dropped);
      // Assess
      expect(failed).toEqual(new Error('connection lost'));
      expect(stagingFiles()).toEqual([]);
      expect(await store.headObject('bkt', 'big')).toBeUndefined();
    });

    it('keeps a staged upload when an if-absent write loses, and sweeps leftovers on the next load', async () => {
      // Prepare
      const store = new FileStore(dataDir);
      await store.putObject('bkt', record('k', 1), Buffer.from('1'));
      const staged = await store.stage('bkt', chunks(1, 5));
      // Act
      const result = await store.putObject('bkt', record('k', 5), staged, { ifAbsent: true });
      const kept = stagingFiles();
      await new FileStore(dataDir).listObjects('bkt');
      // Assess
      expect(result.written).toBe(false);
      expect(kept).toHaveLength(1);
      expect(stagingFiles()).toEqual([]);
    });

    it('refuses a token that is not one of its staging files', async () => {
      // Prepare
      const store = new FileStore(dataDir);
      // Act
      const discarded = store.discard('bkt', { kind: 'staged', size: 0, md5: Buffer.alloc(16), token: '../../buckets/bkt.json' });
      // Assess
      await expect(discarded).rejects.toThrow('not a staged upload');
    });
  });

  describe('reads', () => {
    it('streams a byte range and reads the version it opened even if an overwrite removes its file', async () => {
      // Prepare
      const store = new FileStore(dataDir);
      await store.putObject('bkt', record('k', 10), Buffer.from('0123456789'));
      const opened = await store.getObject('bkt', 'k');
      await store.putObject('bkt', record('k', 3), Buffer.from('new'));
      // Act
      const chunks: Buffer[] = [];
      for await (const chunk of opened!.body.stream({ start: 2, end: 5 })) chunks.push(chunk as Buffer);
      // Assess
      expect(Buffer.concat(chunks).toString()).toBe('2345');
      expect(readdirSync(path.join(dataDir, 'oss', 'objects', 'bkt')).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    });

    it('streams an empty object and can be closed unread', async () => {
      // Prepare
      const store = new FileStore(dataDir);
      await store.putObject('bkt', record('empty', 0), Buffer.alloc(0));
      await store.putObject('bkt', record('k', 1), Buffer.from('1'));
      const empty = await store.getObject('bkt', 'empty');
      const unread = await store.getObject('bkt', 'k');
      // Act
      const bytes = await readAllBytes(empty!.body);
      await unread!.body.close();
      // Assess
      expect(bytes.length).toBe(0);
      expect(() => unread!.body.stream()).toThrow('already read or closed');
    });
  });
});
