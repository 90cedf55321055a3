// OssStore on disk, so the local stack keeps its data across restarts.
//
// Layout under `<dataDir>/oss/`:
//   buckets/<bucket>.json                      the bucket registry entry (owner uid, region, policy text)
//   objects/<bucket>/<sha256(key)>.json        an object's metadata, including its full key
//   objects/<bucket>/<sha256(key)>.<id>.bin    its bytes
// Keys may hold any UTF-8 (spaces, `+`, `%`, `/`, unicode), so file names are hashes of the key. A write
// puts the bytes under a fresh name first and then renames the metadata into place: the rename is the
// commit point, so a crash never pairs metadata with half-written bytes. Orphaned bytes from such a
// crash are removed the next time the bucket is loaded.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareKeys, type BucketRecord, type ObjectRecord, type OssStore, type PutResult } from './store';

interface StoredObject {
  record: ObjectRecord;
  /** File name of the bytes, relative to the bucket's object folder. */
  dataFile: string;
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
    return (await this.index(bucket)).objects.get(key)?.record;
  }

  async getObject(bucket: string, key: string): Promise<{ record: ObjectRecord; body: Buffer } | undefined> {
    const stored = (await this.index(bucket)).objects.get(key);
    if (!stored) return undefined;
    try {
      return { record: stored.record, body: await readFile(path.join(this.objectDir(bucket), stored.dataFile)) };
    } catch (error) {
      // Deleted or overwritten between the lookup and the read: answer from the current state.
      const changed = (await this.index(bucket)).objects.get(key) !== stored;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && changed) return this.getObject(bucket, key);
      throw error;
    }
  }

  putObject(bucket: string, record: ObjectRecord, body: Buffer, options: { ifAbsent?: boolean } = {}): Promise<PutResult> {
    return this.withKeyLock(bucket, record.key, async () => {
      const index = await this.index(bucket);
      const previous = index.objects.get(record.key);
      if (options.ifAbsent && previous) return { written: false, previous: previous.record };
      const dir = this.objectDir(bucket);
      await mkdir(dir, { recursive: true });
      const base = hashKey(record.key);
      const dataFile = `${base}.${randomBytes(6).toString('hex')}.bin`;
      await writeFile(path.join(dir, dataFile), body);
      const stored: StoredObject = { record, dataFile };
      await atomicWrite(path.join(dir, `${base}.json`), JSON.stringify(stored));
      index.objects.set(record.key, stored);
      index.sorted = undefined;
      if (previous) await rm(path.join(dir, previous.dataFile), { force: true });
      return { written: true, previous: previous?.record };
    });
  }

  updateObject(bucket: string, key: string, change: (record: ObjectRecord) => ObjectRecord): Promise<ObjectRecord | undefined> {
    return this.withKeyLock(bucket, key, async () => {
      const index = await this.index(bucket);
      const current = index.objects.get(key);
      if (!current) return undefined;
      const record = { ...change(current.record), key };
      const stored: StoredObject = { record, dataFile: current.dataFile };
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
      await rm(path.join(dir, stored.dataFile), { force: true });
      return true;
    });
  }

  async listObjects(bucket: string): Promise<readonly ObjectRecord[]> {
    const index = await this.index(bucket);
    index.sorted ??= [...index.objects.values()].map((s) => s.record).sort((a, b) => compareKeys(a.key, b.key));
    return index.sorted;
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
    const referenced = new Set([...objects.values()].map((s) => s.dataFile));
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

function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
