// OssStore on disk, so the local stack keeps its data across restarts.
//
// Layout under `<dataDir>/oss/`:
//   buckets/<bucket>.json                      the bucket registry entry (owner uid, region, policy text)
//   objects/<bucket>/<sha256(key)>.json        an object's metadata, including its full key
//   objects/<bucket>/<sha256(key)>.<id>.bin    its bytes
// On a versioned bucket the metadata file also lists the noncurrent versions (`noncurrent`, newest first), each
// with its own bytes file; a delete marker has no bytes file. Files written before versioning was emulated have
// no `noncurrent` and read as a single version.
//   objects/<bucket>/upload.tmp-<id>           an upload still arriving (stage()), renamed to a .bin on commit
// Keys may hold any UTF-8 (spaces, `+`, `%`, `/`, unicode), so file names are hashes of the key. A write
// puts the bytes under a fresh name first and then renames the metadata into place: the rename is the
// commit point, so a crash never pairs metadata with half-written bytes. Orphaned bytes from such a
// crash, and uploads that never finished, are removed the next time the bucket is loaded.
// Bodies are never held whole in memory: uploads stream into their temporary file with the MD5 computed on the
// way, and reads stream from an open file handle (opened before a concurrent overwrite could remove the file).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  bufferBytes,
  compareKeys,
  NULL_VERSION,
  sameVersion,
  type BucketRecord,
  type ObjectBytes,
  type ObjectRecord,
  type OssStore,
  type PutResult,
  type StagedBody,
} from './store';

const STAGED_FILE = /^upload\.tmp-[0-9a-f]{16}$/;

interface StoredVersion {
  record: ObjectRecord;
  /** File name of the bytes, relative to the bucket's object folder; empty for a delete marker. */
  dataFile: string;
}

interface StoredObject extends StoredVersion {
  /** Older versions, newest first; absent when there are none. */
  noncurrent?: StoredVersion[];
}

interface BucketIndex {
  objects: Map<string, StoredObject>;
  sorted?: ObjectRecord[];
}

export class FileStore implements OssStore {
  private readonly root: string;
  private readonly indexes = new Map<string, Promise<BucketIndex>>();
  /** Bucket records read or written by this process, which is the data directory's only writer. */
  private readonly buckets = new Map<string, BucketRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'oss');
  }

  async getBucket(name: string): Promise<BucketRecord | undefined> {
    const cached = this.buckets.get(name);
    if (cached) return { ...cached };
    try {
      const record = JSON.parse(await readFile(this.bucketFile(name), 'utf8')) as BucketRecord;
      this.buckets.set(name, record);
      return { ...record };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async putBucket(record: BucketRecord): Promise<void> {
    await mkdir(path.join(this.root, 'buckets'), { recursive: true });
    await mkdir(this.objectDir(record.name), { recursive: true });
    await atomicWrite(this.bucketFile(record.name), JSON.stringify(record, null, 2));
    this.buckets.set(record.name, { ...record });
  }

  async listBuckets(): Promise<BucketRecord[]> {
    let names: string[];
    try {
      names = await readdir(path.join(this.root, 'buckets'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.getBucket(n.slice(0, -5))));
    return records.filter((r): r is BucketRecord => r !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  async headObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    const record = (await this.index(bucket)).objects.get(key)?.record;
    return record?.deleteMarker ? undefined : record;
  }

  async getObject(bucket: string, key: string): Promise<{ record: ObjectRecord; body: ObjectBytes } | undefined> {
    const stored = (await this.index(bucket)).objects.get(key);
    if (!stored || stored.record.deleteMarker) return undefined;
    return this.readVersion(bucket, key, stored, stored, () => this.getObject(bucket, key));
  }

  async headVersion(bucket: string, key: string, versionId?: string): Promise<ObjectRecord | undefined> {
    const stored = (await this.index(bucket)).objects.get(key);
    if (!stored || versionId === undefined) return stored?.record;
    return findVersion(stored, versionId)?.record;
  }

  async getVersion(bucket: string, key: string, versionId: string): Promise<{ record: ObjectRecord; body: ObjectBytes } | undefined> {
    const stored = (await this.index(bucket)).objects.get(key);
    const version = stored && findVersion(stored, versionId);
    if (!version) return undefined;
    if (version.record.deleteMarker) return { record: version.record, body: bufferBytes(Buffer.alloc(0)) };
    return this.readVersion(bucket, key, stored, version, () => this.getVersion(bucket, key, versionId));
  }

  async stage(bucket: string, source: AsyncIterable<Uint8Array>): Promise<StagedBody> {
    // The first load of a bucket sweeps `.tmp-` files: it must have run before this upload creates one.
    await this.index(bucket);
    const dir = this.objectDir(bucket);
    await mkdir(dir, { recursive: true });
    const token = `upload.tmp-${randomBytes(8).toString('hex')}`;
    const file = path.join(dir, token);
    const md5 = createHash('md5');
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            md5.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(file, { flags: 'wx' }),
      );
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return { kind: 'staged', size, md5: md5.digest(), token };
  }

  async discard(bucket: string, staged: StagedBody): Promise<void> {
    await rm(this.stagedFile(bucket, staged), { force: true });
  }

  putObject(bucket: string, record: ObjectRecord, body: Buffer | StagedBody, options: { ifAbsent?: boolean; versioned?: boolean } = {}): Promise<PutResult> {
    return this.withKeyLock(bucket, record.key, async () => {
      const index = await this.index(bucket);
      const previous = index.objects.get(record.key);
      if (options.ifAbsent && previous && !previous.record.deleteMarker) return { written: false, previous: previous.record };
      const dir = this.objectDir(bucket);
      await mkdir(dir, { recursive: true });
      const base = hashKey(record.key);
      let dataFile = '';
      if (!record.deleteMarker) {
        dataFile = `${base}.${randomBytes(6).toString('hex')}.bin`;
        if (Buffer.isBuffer(body)) await writeFile(path.join(dir, dataFile), body);
        else await rename(this.stagedFile(bucket, body), path.join(dir, dataFile));
      }
      // Unversioned: the write replaces everything. Versioned: every other version is kept, newest first.
      const all: StoredVersion[] = previous ? [previous, ...(previous.noncurrent ?? [])] : [];
      const keptVersions = options.versioned ? all.filter((v) => !sameVersion(v.record, record.versionId ?? NULL_VERSION)) : [];
      const replaced = all.filter((v) => !keptVersions.includes(v));
      const kept = keptVersions.map((v) => ({ record: v.record, dataFile: v.dataFile }));
      const stored: StoredObject = kept.length > 0 ? { record, dataFile, noncurrent: kept } : { record, dataFile };
      await atomicWrite(path.join(dir, `${base}.json`), JSON.stringify(stored));
      index.objects.set(record.key, stored);
      index.sorted = undefined;
      await Promise.all(replaced.filter((v) => v.dataFile).map((v) => rm(path.join(dir, v.dataFile), { force: true })));
      const shown = previous && !previous.record.deleteMarker ? previous.record : undefined;
      return { written: true, previous: shown };
    });
  }

  deleteVersion(bucket: string, key: string, versionId: string): Promise<ObjectRecord | undefined> {
    return this.withKeyLock(bucket, key, async () => {
      const index = await this.index(bucket);
      const stored = index.objects.get(key);
      const victim = stored && findVersion(stored, versionId);
      if (!stored || !victim) return undefined;
      const dir = this.objectDir(bucket);
      const remaining = [stored, ...(stored.noncurrent ?? [])].filter((v) => v !== victim).map(({ record, dataFile }) => ({ record, dataFile }));
      if (remaining.length === 0) {
        await rm(path.join(dir, `${hashKey(key)}.json`), { force: true });
        index.objects.delete(key);
      } else {
        const [current, ...noncurrent] = remaining;
        const next: StoredObject = noncurrent.length > 0 ? { ...current, noncurrent } : current;
        await atomicWrite(path.join(dir, `${hashKey(key)}.json`), JSON.stringify(next));
        index.objects.set(key, next);
      }
      index.sorted = undefined;
      if (victim.dataFile) await rm(path.join(dir, victim.dataFile), { force: true });
      return victim.record;
    });
  }

  updateObject(bucket: string, key: string, change: (record: ObjectRecord) => ObjectRecord): Promise<ObjectRecord | undefined> {
    return this.withKeyLock(bucket, key, async () => {
      const index = await this.index(bucket);
      const current = index.objects.get(key);
      if (!current) return undefined;
      if (current.record.deleteMarker) return undefined;
      const record = { ...change(current.record), key };
      const stored: StoredObject = { ...current, record };
      await atomicWrite(path.join(this.objectDir(bucket), `${hashKey(key)}.json`), JSON.stringify(stored));
      index.objects.set(key, stored);
      index.sorted = undefined;
      return record;
    });
  }

  deleteObject(bucket: string, key: string): Promise<boolean> {
    return this.withKeyLock(bucket, key, async () => {
      const index = await this.index(bucket);
      const stored = index.objects.get(key);
      if (!stored) return false;
      const dir = this.objectDir(bucket);
      await rm(path.join(dir, `${hashKey(key)}.json`), { force: true });
      index.objects.delete(key);
      index.sorted = undefined;
      const files = [stored, ...(stored.noncurrent ?? [])].map((v) => v.dataFile).filter(Boolean);
      await Promise.all(files.map((f) => rm(path.join(dir, f), { force: true })));
      return !stored.record.deleteMarker;
    });
  }

  async listObjects(bucket: string): Promise<readonly ObjectRecord[]> {
    const index = await this.index(bucket);
    index.sorted ??= [...index.objects.values()]
      .map((s) => s.record)
      .filter((r) => !r.deleteMarker)
      .sort((a, b) => compareKeys(a.key, b.key));
    return index.sorted;
  }

  async listVersions(bucket: string): Promise<readonly { record: ObjectRecord; isLatest: boolean }[]> {
    const index = await this.index(bucket);
    return [...index.objects.values()]
      .sort((a, b) => compareKeys(a.record.key, b.record.key))
      .flatMap((s) => [{ record: s.record, isLatest: true }, ...(s.noncurrent ?? []).map((v) => ({ record: v.record, isLatest: false }))]);
  }

  /**
   * Opens a version's bytes; `retry` answers from the current state when a concurrent write removed them first.
   * Once open, an overwrite may unlink the file and the reader still gets the version it asked for.
   */
  private async readVersion<T>(bucket: string, key: string, before: StoredObject, version: StoredVersion, retry: () => Promise<T>): Promise<{ record: ObjectRecord; body: ObjectBytes } | T> {
    try {
      const handle = await open(path.join(this.objectDir(bucket), version.dataFile), 'r');
      const size = version.record.size;
      let used = false;
      const body: ObjectBytes = {
        size,
        stream: (range) => {
          if (used) throw new Error('object bytes were already read or closed');
          used = true;
          const { start, end } = range ?? { start: 0, end: size - 1 };
          if (end < start) {
            // An empty object has no byte to start at, and createReadStream refuses an end before its start.
            void handle.close();
            return Readable.from([]);
          }
          return handle.createReadStream({ start, end, autoClose: true });
        },
        close: async () => {
          if (used) return;
          used = true;
          await handle.close();
        },
      };
      return { record: version.record, body };
    } catch (error) {
      const changed = (await this.index(bucket)).objects.get(key) !== before;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && changed) return retry();
      throw error;
    }
  }

  /** Loads a bucket's metadata once per process; afterwards this process is the only writer. */
  private index(bucket: string): Promise<BucketIndex> {
    let index = this.indexes.get(bucket);
    if (!index) {
      index = this.loadIndex(bucket);
      this.indexes.set(bucket, index);
      index.catch(() => this.indexes.delete(bucket));
    }
    return index;
  }

  private async loadIndex(bucket: string): Promise<BucketIndex> {
    const dir = this.objectDir(bucket);
    const objects = new Map<string, StoredObject>();
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { objects };
      throw error;
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const stored = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as StoredObject;
      objects.set(stored.record.key, stored);
    }
    const referenced = new Set([...objects.values()].flatMap((s) => [s.dataFile, ...(s.noncurrent ?? []).map((v) => v.dataFile)]));
    const orphans = names.filter((n) => (n.endsWith('.bin') && !referenced.has(n)) || n.includes('.tmp-'));
    await Promise.all(orphans.map((n) => rm(path.join(dir, n), { force: true })));
    return { objects };
  }

  /** Serialises writes to one key, so forbid-overwrite checks and metadata renames never interleave. */
  private async withKeyLock<T>(bucket: string, key: string, work: () => Promise<T>): Promise<T> {
    const id = `${bucket}\n${key}`;
    const previous = this.locks.get(id) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    this.locks.set(id, current);
    try {
      return await current;
    } finally {
      if (this.locks.get(id) === current) this.locks.delete(id);
    }
  }

  private stagedFile(bucket: string, staged: StagedBody): string {
    if (!STAGED_FILE.test(staged.token)) throw new Error(`not a staged upload of this store: \`${staged.token}\``);
    return path.join(this.objectDir(bucket), staged.token);
  }

  private bucketFile(name: string): string {
    assertSafeName(name);
    return path.join(this.root, 'buckets', `${name}.json`);
  }

  private objectDir(bucket: string): string {
    assertSafeName(bucket);
    return path.join(this.root, 'objects', bucket);
  }
}

/** Bucket names become path segments; the protocol layer validates them, this guards the file system anyway. */
function assertSafeName(name: string): void {
  if (!/^[a-z0-9_][a-z0-9_-]*$/.test(name)) throw new Error(`unsafe bucket name \`${name}\``);
}

function findVersion(stored: StoredObject, versionId: string): StoredVersion | undefined {
  return [stored, ...(stored.noncurrent ?? [])].find((v) => sameVersion(v.record, versionId));
}

function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
