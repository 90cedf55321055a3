// The pending index: one small marker per accepted upload version whose sidecar is not final yet,
// `results/_pending/<sourceKey>.<eTag>.json`. on-upload writes it before it claims the version or calls IMM, and
// deletes it once the sidecar is final; a `submitted` sidecar keeps it until the task's outcome is recorded. So
// whatever a crash, a dead-lettered event or a lost notification leaves behind is listed under one prefix, and
// the reconciler (shared/reconcile.ts) reads only that prefix: its cost follows what is pending, never the bucket.
import type { UploadedObject } from './fc/ossEvent';
import type { Sidecar, SidecarStatus, SidecarStore } from './oss';

/** A sidecar in one of these states will not change unless the object is uploaded again. */
const FINAL: ReadonlySet<SidecarStatus> = new Set(['succeeded', 'failed', 'skipped']);

export function isFinal(sidecar: Pick<Sidecar, 'status'>): boolean {
  return FINAL.has(sidecar.status);
}

type Version = Pick<UploadedObject, 'bucket' | 'key' | 'eTag'>;

/**
 * Records that this version is accepted and not settled. Idempotent: a duplicate delivery rewrites it. A version
 * without an eTag (never seen from OSS, whose events always carry one) cannot be named, so it gets no marker.
 */
export async function markPending(store: SidecarStore, object: Version, now: number): Promise<boolean> {
  if (!object.eTag) return false;
  await store.putPending({ bucket: object.bucket, key: object.key, eTag: object.eTag, since: new Date(now).toISOString() });
  return true;
}

export async function clearPending(store: SidecarStore, object: Version): Promise<void> {
  if (object.eTag) await store.deletePending(object.bucket, object.key, object.eTag);
}

/** Deletes the marker when the sidecar is final for this very version; true when it did. */
export async function clearIfSettled(store: SidecarStore, object: Version, sidecar: Sidecar | undefined): Promise<boolean> {
  if (!sidecar || !object.eTag || sidecar.eTag !== object.eTag || !isFinal(sidecar)) return false;
  await store.deletePending(object.bucket, object.key, object.eTag);
  return true;
}
