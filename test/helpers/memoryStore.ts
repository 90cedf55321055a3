// A SidecarStore over an in-memory bucket, for unit tests: sidecars, claims, pending markers and source objects
// are all objects under their real keys (shared/oss.ts), so listing a prefix sees exactly what OSS would. Every
// call is recorded, so a test can count what an operation read.
import { claimKey, pendingKey, sidecarKey, type Claim, type PendingMarker, type Sidecar, type SidecarStore } from '../../shared/oss';

export interface StoreCall {
  op: 'write' | 'read' | 'createClaim' | 'readClaim' | 'replaceClaim' | 'putPending' | 'deletePending' | 'listPage' | 'head';
  bucket: string;
  /** The object key the call touched (the prefix, for listPage). */
  key: string;
}

export interface MemoryStore extends SidecarStore {
  /** `bucket/key` → the stored JSON value or, for source objects, `{ eTag, size }`. */
  readonly objects: Map<string, unknown>;
  readonly calls: StoreCall[];
  /** Puts a source object (an upload) whose HEAD answers with this eTag. */
  putSource(bucket: string, key: string, eTag: string, size?: number): void;
  sidecar(bucket: string, sourceKey: string): Sidecar | undefined;
  setSidecar(bucket: string, sourceKey: string, sidecar: Sidecar): void;
  claim(bucket: string, sourceKey: string, eTag: string): Claim | undefined;
  setClaim(bucket: string, sourceKey: string, claim: Claim): void;
  /** The pending marker keys of a bucket, sorted. */
  pendingKeys(bucket?: string): string[];
  setPending(marker: PendingMarker): void;
}

export function memoryStore(resultsPrefix = 'results/'): MemoryStore {
  const objects = new Map<string, unknown>();
  const calls: StoreCall[] = [];
  const at = (bucket: string, key: string) => `${bucket}/${key}`;
  const record = (op: StoreCall['op'], bucket: string, key: string) => void calls.push({ op, bucket, key });
  // Stored as JSON text, so a caller never shares an object with the store (as with OSS).
  const put = (bucket: string, key: string, value: unknown) => void objects.set(at(bucket, key), JSON.parse(JSON.stringify(value)));
  const get = <T>(bucket: string, key: string): T | undefined => {
    const value = objects.get(at(bucket, key));
    return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as T);
  };
  const keysUnder = (bucket: string, prefix: string) =>
    [...objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();

  return {
    objects,
    calls,
    async write(bucket, sourceKey, sidecar) {
      const key = sidecarKey(resultsPrefix, sourceKey);
      record('write', bucket, key);
      put(bucket, key, sidecar);
      return key;
    },
    async read(bucket, sourceKey) {
      const key = sidecarKey(resultsPrefix, sourceKey);
      record('read', bucket, key);
      return get<Sidecar>(bucket, key);
    },
    async createClaim(bucket, sourceKey, claim) {
      const key = claimKey(resultsPrefix, sourceKey, claim.eTag);
      record('createClaim', bucket, key);
      // Like `x-oss-forbid-overwrite: true`: the first writer wins.
      if (objects.has(at(bucket, key))) return false;
      put(bucket, key, claim);
      return true;
    },
    async readClaim(bucket, sourceKey, eTag) {
      const key = claimKey(resultsPrefix, sourceKey, eTag);
      record('readClaim', bucket, key);
      return get<Claim>(bucket, key);
    },
    async replaceClaim(bucket, sourceKey, claim) {
      const key = claimKey(resultsPrefix, sourceKey, claim.eTag);
      record('replaceClaim', bucket, key);
      put(bucket, key, claim);
    },
    async putPending(marker) {
      const key = pendingKey(resultsPrefix, marker.key, marker.eTag);
      record('putPending', marker.bucket, key);
      put(marker.bucket, key, marker);
    },
    async deletePending(bucket, sourceKey, eTag) {
      const key = pendingKey(resultsPrefix, sourceKey, eTag);
      record('deletePending', bucket, key);
      objects.delete(at(bucket, key));
    },
    async listPage(bucket, prefix, page) {
      record('listPage', bucket, prefix);
      // Continuation tokens are opaque to callers; here, the last key returned.
      const keys = keysUnder(bucket, prefix).filter((k) => page.continuationToken === undefined || k > page.continuationToken);
      const taken = keys.slice(0, page.maxKeys);
      return { keys: taken, nextContinuationToken: keys.length > taken.length ? taken[taken.length - 1] : undefined };
    },
    async head(bucket, key) {
      record('head', bucket, key);
      return get<{ eTag: string; size: number }>(bucket, key);
    },
    putSource: (bucket, key, eTag, size = 1) => put(bucket, key, { eTag, size }),
    sidecar: (bucket, sourceKey) => get<Sidecar>(bucket, sidecarKey(resultsPrefix, sourceKey)),
    setSidecar: (bucket, sourceKey, sidecar) => put(bucket, sidecarKey(resultsPrefix, sourceKey), sidecar),
    claim: (bucket, sourceKey, eTag) => get<Claim>(bucket, claimKey(resultsPrefix, sourceKey, eTag)),
    setClaim: (bucket, sourceKey, claim) => put(bucket, claimKey(resultsPrefix, sourceKey, claim.eTag), claim),
    pendingKeys: (bucket = 'test-bucket-2024') => keysUnder(bucket, `${resultsPrefix}_pending/`),
    setPending: (marker) => put(marker.bucket, pendingKey(resultsPrefix, marker.key, marker.eTag), marker),
  };
}
