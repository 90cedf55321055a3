// Exactly-once effects under at-least-once delivery. OSS triggers may deliver an event more than once;
// before calling IMM, an attempt claims the object version (bucket, key, eTag) by creating a marker with
// `x-oss-forbid-overwrite: true`, which OSS refuses with 409 when it exists. A second delivery finds the
// claim and does nothing. An overwritten object has a new eTag, hence a new claim. A claim is taken over
// when a retryable failure released it, or when it is stale (its attempt crashed).
import type { UploadedObject } from './fc/ossEvent';
import type { Claim, SidecarStore } from './oss';

export type ClaimOutcome = { claimed: true } | { claimed: false; reason: string };

export interface ClaimOptions {
  requestId?: string;
  now: number;
  /** A running claim older than this belongs to an attempt that crashed. */
  staleAfterMs: number;
}

export async function claimObject(store: SidecarStore, object: UploadedObject, options: ClaimOptions): Promise<ClaimOutcome> {
  const claim: Claim = { eTag: object.eTag, state: 'running', requestId: options.requestId, claimedAt: new Date(options.now).toISOString() };
  if (await store.createClaim(object.bucket, object.key, claim)) return { claimed: true };
  const existing = await store.readClaim(object.bucket, object.key, object.eTag);
  const age = existing ? options.now - Date.parse(existing.claimedAt) : Infinity;
  const takeOver = !existing || existing.state === 'released' || (existing.state === 'running' && !(age <= options.staleAfterMs));
  if (!takeOver) {
    return { claimed: false, reason: existing.state === 'done' ? 'this version of the object was already processed' : 'another attempt is processing this version of the object' };
  }
  // Two attempts taking over the same released or stale claim at once could both proceed: OSS has no
  // compare-and-swap. The window is one GET-then-PUT, and only after a failure or a crash.
  await store.replaceClaim(object.bucket, object.key, claim);
  return { claimed: true };
}

export async function settleClaim(store: SidecarStore, object: UploadedObject, state: 'done' | 'released', options: { requestId?: string; now: number }): Promise<void> {
  await store.replaceClaim(object.bucket, object.key, { eTag: object.eTag, state, requestId: options.requestId, claimedAt: new Date(options.now).toISOString() });
}
