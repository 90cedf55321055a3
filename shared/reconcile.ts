// Settles what the event path left behind, from the pending index alone (shared/pending.ts). Two things can
// strand an accepted upload: an attempt that dies holding its claim, whose event FC's retries then give up on
// while the claim is still live (dead-lettered), and a task whose completion notification never arrives.
// Each run lists only `results/_pending/`, a bounded number of markers, and for each marker:
//   sidecar final for the marker's eTag            → delete the marker (nothing to do)
//   sidecar `submitted` for longer than the wait    → GetTask, settled exactly as a notification would be
//   no sidecar for the eTag, claim live             → leave it (an attempt may still be working)
//   no sidecar for the eTag, no live claim          → HEAD the object: gone or overwritten → delete the marker;
//                                                     same eTag → processUpload again (one more IMM call)
// Concurrent runs are harmless: the claim keeps a re-drive to one IMM call, and a sidecar is settled only while
// it still says `submitted` for its task.
import pLimit from 'p-limit';
import { isLive } from './claims';
import { ownHint } from './errorHints';
import { toAppError } from './errors';
import type { UploadedObject } from './fc/ossEvent';
import { describeError } from './log';
import { normalizeETag, parsePendingKey, pendingPrefix, type Sidecar, type SidecarStore } from './oss';
import { clearPending, isFinal } from './pending';
import type { Invocation, Runtime } from './runtime';
import { processTaskDone } from './taskDone';
import type { TaskNotice } from './taskNotification';
import { processUpload } from './upload';

export interface ReconcileSummary {
  /** Markers read from the listing this run. */
  listed: number;
  /** Submitted tasks whose outcome this run recorded. */
  settled: number;
  /** Uploads processed again (the version had no sidecar and nobody was working on it). */
  redriven: number;
  /** Markers deleted with nothing left to do: sidecar already final, object gone or overwritten. */
  dropped: number;
  /** Markers left for a later run: work in progress, a task still running, or no time left in this run. */
  left: number;
  /** Markers whose handling failed (left in place; the next run tries again). */
  errors: number;
}

type MarkerOutcome = Exclude<keyof ReconcileSummary, 'listed'>;

/** ListObjectsV2 returns at most 1,000 keys per page. */
const MAX_PAGE = 1000;
/** No marker is started with less than this before the deadline: a re-drive is an IMM call plus a few OSS calls. */
const START_MARGIN_MS = 5000;

export interface ReconcileOptions {
  now?: () => number;
}

export async function reconcile(runtime: Runtime, invocation: Invocation, sidecars: SidecarStore, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const { config } = runtime;
  const now = options.now ?? Date.now;
  const stopAt = (invocation.deadline ?? now() + config.claimStaleSeconds * 1000) - START_MARGIN_MS;
  const summary: ReconcileSummary = { listed: 0, settled: 0, redriven: 0, dropped: 0, left: 0, errors: 0 };
  const limit = pLimit(config.batchConcurrency);
  const prefix = pendingPrefix(config.resultsPrefix);
  let budget = config.reconcileMaxMarkers;
  const failedListings: unknown[] = [];

  for (const bucket of [...config.allowedBuckets].sort()) {
    let continuationToken: string | undefined;
    do {
      if (budget <= 0 || now() >= stopAt) break;
      let page;
      try {
        page = await sidecars.listPage(bucket, prefix, { maxKeys: Math.min(budget, MAX_PAGE), continuationToken });
      } catch (error) {
        // One bucket's listing (a missing grant, say) must not keep the others from being reconciled.
        invocation.log.error({ err: describeError(error), bucket }, 'listing the pending markers failed');
        failedListings.push(error);
        break;
      }
      budget -= page.keys.length;
      summary.listed += page.keys.length;
      const outcomes = await Promise.all(
        page.keys.map((key) =>
          limit(async (): Promise<MarkerOutcome> => {
            if (now() >= stopAt) return 'left';
            try {
              return await reconcileMarker(bucket, key, runtime, invocation, sidecars, now);
            } catch (caught) {
              const error = toAppError(caught);
              invocation.log.warn({ err: describeError(error), bucket, marker: key }, 'pending marker not reconciled, left for the next run');
              return 'errors';
            }
          }),
        ),
      );
      for (const outcome of outcomes) summary[outcome] += 1;
      continuationToken = page.nextContinuationToken;
    } while (continuationToken);
  }
  invocation.log.info({ ...summary, budgetLeft: Math.max(budget, 0) }, 'reconcile run done');
  // Thrown only after every bucket had its turn, so that FC's console and metrics show a run that could not list.
  if (failedListings.length > 0) throw toAppError(failedListings[0]);
  return summary;
}

async function reconcileMarker(bucket: string, markerKey: string, runtime: Runtime, invocation: Invocation, sidecars: SidecarStore, now: () => number): Promise<MarkerOutcome> {
  const { config } = runtime;
  const parsed = parsePendingKey(config.resultsPrefix, markerKey);
  if (!parsed) {
    // Not a key on-upload writes: someone else's object under our prefix. It is left alone, not deleted.
    invocation.log.warn({ bucket, marker: markerKey }, 'not a pending marker key, ignored');
    return 'left';
  }
  const version = { bucket, key: parsed.sourceKey, eTag: parsed.eTag };
  const log = invocation.log.child({ bucket, key: version.key, eTag: version.eTag });

  const sidecar = await sidecars.read(bucket, version.key);
  const forVersion = sidecar?.eTag === version.eTag ? sidecar : undefined;
  if (forVersion && isFinal(forVersion)) {
    await clearPending(sidecars, version);
    return 'dropped';
  }
  if (forVersion?.status === 'submitted') return settleSubmitted(version, forVersion, runtime, invocation, sidecars, now, log);

  const claim = await sidecars.readClaim(bucket, version.key, version.eTag);
  if (claim && isLive(claim, now())) return 'left';
  const head = await sidecars.head(bucket, version.key);
  if (!head || head.eTag !== normalizeETag(version.eTag)) {
    log.info({ current: head?.eTag ?? null }, 'the version is gone (deleted or overwritten), marker dropped');
    await clearPending(sidecars, version);
    return 'dropped';
  }
  const object: UploadedObject = { ...version, size: head.size, eventName: 'ObjectCreated:Reconcile', region: config.region };
  const outcome = await processUpload(object, runtime, invocation, sidecars);
  if (outcome.status === 'busy') return 'left';
  if (outcome.status === 'duplicate' || outcome.status === 'ignored') {
    // The version was processed already (its sidecar replaced since), or it is no longer ours to process.
    log.info({ reason: outcome.reason }, 'nothing to re-drive, marker dropped');
    await clearPending(sidecars, version);
    return 'dropped';
  }
  log.info({ status: outcome.status }, 'upload re-driven');
  return 'redriven';
}

/** A task's notification is presumed lost once its sidecar has said `submitted` for the configured wait. */
async function settleSubmitted(
  version: { bucket: string; key: string; eTag: string },
  sidecar: Sidecar,
  runtime: Runtime,
  invocation: Invocation,
  sidecars: SidecarStore,
  now: () => number,
  log: Invocation['log'],
): Promise<MarkerOutcome> {
  const { config } = runtime;
  const submittedAt = Date.parse(sidecar.processedAt);
  if (Number.isFinite(submittedAt) && now() - submittedAt < config.reconcileSubmittedAfterSeconds * 1000) return 'left';
  if (!sidecar.taskId || !sidecar.taskType) {
    log.warn('a submitted sidecar without taskId or taskType, left alone');
    return 'left';
  }
  // The notice a notification would have carried; processTaskDone takes the outcome from GetTask, not from it.
  const notice: TaskNotice = {
    projectName: config.immProject,
    taskType: sidecar.taskType,
    taskId: sidecar.taskId,
    status: 'Unknown',
    userData: JSON.stringify({ source: sidecar.source, eTag: version.eTag }),
  };
  const outcome = await processTaskDone(notice, runtime, invocation, sidecars);
  if (outcome.status === 'ignored') return giveUp(version, sidecar, outcome.reason, sidecars, now, log);
  return outcome.status === 'pending' ? 'left' : 'settled';
}

/**
 * IMM cannot settle the task (it no longer knows it, say): without this, the sidecar would say `submitted`
 * forever and every run would ask again. Only a sidecar that still names the same task is given up on; anything
 * that changed meanwhile is for the next run to look at.
 */
async function giveUp(version: { bucket: string; key: string; eTag: string }, seen: Sidecar, reason: string, sidecars: SidecarStore, now: () => number, log: Invocation['log']): Promise<MarkerOutcome> {
  const current = await sidecars.read(version.bucket, version.key);
  if (current?.status !== 'submitted' || current.taskId !== seen.taskId || current.eTag !== version.eTag) return 'left';
  const failed: Sidecar = {
    ...current,
    status: 'failed',
    processedAt: new Date(now()).toISOString(),
    submittedAt: current.processedAt,
    error: { code: 'TaskOutcomeUnknown', message: `IMM cannot tell how task \`${current.taskId}\` ended: ${reason}`, hint: ownHint('TaskOutcomeUnknown') },
  };
  await sidecars.write(version.bucket, version.key, failed);
  await clearPending(sidecars, version);
  log.warn({ taskId: current.taskId, reason }, 'task outcome unknown, sidecar marked failed');
  return 'settled';
}
