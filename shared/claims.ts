// Exactly-once effects under at-least-once delivery. OSS triggers may deliver an event more than once;
// before calling IMM, an attempt claims the object version (bucket, key, eTag) by creating a marker with
// `x-oss-forbid-overwrite: true`, which OSS refuses with 409 when it exists. A second delivery finds the
// claim and does nothing. An overwritten object has a new eTag, hence a new claim. A claim is taken over
// when a failure released it, or when it has expired: a claim expires at its invocation's deadline, after
// which that attempt cannot still be running (FC has stopped it), so a crashed attempt is retried.
import type { UploadedObject } from './fc/ossEvent';
import type { Claim, SidecarStore } from './oss';

/**
 * `done`: this version was processed, nothing to do. `busy`: another attempt holds a live claim; it may still
 * crash, so the event should be re-delivered later (retryable).
 */
export type ClaimOutcome = { claimed: true } | { claimed: false; state: 'done' | 'busy'; reason: string };

export interface ClaimOptions {
  requestId?: string;
  now: number;
  /** Epoch ms when this attempt's claim expires: its invocation's deadline. */
  expiresAt: number;
}

export async function claimObject(store: SidecarStore, object: UploadedObject, options: ClaimOptions): Promise<ClaimOutcome> {
  const claim: Claim = {
    eTag: object.eTag,
    state: 'running',
    requestId: options.requestId,
    claimedAt: new Date(options.now).toISOString(),
    expiresAt: new Date(options.expiresAt).toISOString(),
  };
  if (await store.createClaim(object.bucket, object.key, claim)) return { claimed: true };
  const existing = await store.readClaim(object.bucket, object.key, object.eTag);
  if (existing?.state === 'done' && !(await failedEarlier(store, object))) {
    return { claimed: false, state: 'done', reason: 'this version of the object was already processed' };
  }
  if (existing && isLive(existing, options.now)) {
    return { claimed: false, state: 'busy', reason: `another attempt holds this version of the object until ${existing.expiresAt}` };
  }
  // Two attempts taking over the same released or stale claim at once could both proceed: OSS has no
  // compare-and-swap. The window is one GET-then-PUT, and only after a failure or a crash.
  await store.replaceClaim(object.bucket, object.key, claim);
  return { claimed: true };
}

/**
 * A failure releases its claim, but the release can be overwritten: on-upload settles a task's claim as `done`
 * right after writing `submitted`, and a task that fails at once may have its `failed` recorded (and the claim
 * released) by on-task-done before that. The sidecar says what happened to this version, so a `failed` one means
 * the same bytes uploaded again must be processed again.
 */
async function failedEarlier(store: SidecarStore, object: Pick<UploadedObject, 'bucket' | 'key' | 'eTag'>): Promise<boolean> {
  const sidecar = await store.read(object.bucket, object.key);
  return sidecar?.status === 'failed' && sidecar.eTag === object.eTag;
}

/** A running claim before its expiry: its attempt may still be working (a claim without expiry never is). */
export function isLive(claim: Claim, now: number): boolean {
  return claim.state === 'running' && Date.parse(claim.expiresAt ?? '') > now;
}

export async function settleClaim(store: SidecarStore, object: Pick<UploadedObject, 'bucket' | 'key' | 'eTag'>, state: 'done' | 'released', options: { requestId?: string; now: number }): Promise<void> {
  const at = new Date(options.now).toISOString();
  await store.replaceClaim(object.bucket, object.key, { eTag: object.eTag, state, requestId: options.requestId, claimedAt: at, expiresAt: at });
}
