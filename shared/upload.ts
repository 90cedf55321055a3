// What happens to one uploaded object: pick the IMM operation, run it with the operator role, and
// record the outcome in a sidecar next to the results. A failure becomes a `failed` sidecar; whether the
// event should be re-delivered is reported back to the handler.
import { assertClaimsExclusive } from './bucketVersioning';
import { claimObject, settleClaim } from './claims';
import { describeError } from './log';
import { toAppError } from './errors';
import type { UploadedObject } from './fc/ossEvent';
import { jobFor, type Job } from './jobs';
import { sidecarKey, type Sidecar, type SidecarStore } from './oss';
import { clearIfSettled, clearPending, isFinal, markPending } from './pending';
import type { Invocation, Runtime } from './runtime';
import { documentTargetPrefix, mediaTarget, transcodeFor } from './tasks';
import { decideScope, isProbeKey, uploadScope } from './scope';
import { formatOssUri, hasControlCharacter, hasDotSegment } from './uri';

export type UploadOutcome =
  | { status: 'ignored' | 'duplicate'; reason: string }
  | { status: 'busy'; reason: string; retryable: true }
  | { status: Sidecar['status']; sidecarKey: string; retryable: boolean };

export async function processUpload(object: UploadedObject, runtime: Runtime, invocation: Invocation, sidecars: SidecarStore): Promise<UploadOutcome> {
  const { config } = runtime;
  const log = invocation.log.child({ bucket: object.bucket, key: object.key });
  // Only objects under INPUT_PREFIX are work; anything else (our own results included) is never processed,
  // so a misconfigured trigger cannot loop. The same decision as the api's (shared/scope.ts).
  const decision = decideScope(object, uploadScope(config));
  if (!decision.allowed && decision.code === 'KeyNotAllowed') {
    log.info({ inputPrefix: config.inputPrefix }, 'object is outside INPUT_PREFIX, skipped');
    return { status: 'ignored', reason: 'outside INPUT_PREFIX' };
  }
  if (!decision.allowed && decision.code === 'BucketNotAllowed') {
    log.warn('event from a bucket not in ALLOWED_BUCKETS, skipped');
    return { status: 'ignored', reason: 'bucket not allowed' };
  }
  // The deep health check's probe image (shared/health.ts): its own keys, never work.
  if (isProbeKey(object.key, config.inputPrefix)) {
    log.info('health probe object, ignored');
    return { status: 'ignored', reason: 'health probe' };
  }
  if (!decision.allowed) return skipInvalidKey(object, decision.message, sidecars, config.resultsPrefix, log);
  // Before the claim and any IMM call: if this attempt dies anywhere after this line, the marker lets the
  // reconciler find the version, whatever FC's retries make of the event.
  await markPending(sidecars, object, Date.now());
  const source = formatOssUri(object);
  const job = jobFor(object.key, config.uploadRoutes);
  const base = { source, eTag: object.eTag || undefined, processedAt: new Date().toISOString() };
  let sidecar: Sidecar;
  let retryable = false;
  let claimed = false;
  if (job.operation === 'none') {
    sidecar = { ...base, operation: 'none', status: 'skipped', reason: job.reason };
  } else {
    const failed = (caught: unknown, what: string): Sidecar => {
      const error = toAppError(caught);
      retryable = error.retryable;
      log.warn({ err: describeError(error), retryable }, what);
      const message = error.expose ? error.message : 'internal error';
      return { ...base, operation: job.operation, status: 'failed', error: { code: error.code, message, ...(error.hint ? { hint: error.hint } : {}) } };
    };
    // Claims are exclusive only on a bucket that was never versioned; on any other the upload fails before it
    // claims or calls IMM (shared/bucketVersioning.ts). The sidecar write below is a plain PUT and still works.
    const refusal = sidecars.versioning ? await assertClaimsExclusive(sidecars.versioning, object.bucket).then(() => undefined, (error: unknown) => error) : undefined;
    if (refusal !== undefined) {
      sidecar = failed(refusal, 'bucket cannot be claimed in');
    } else {
      const now = Date.now();
      const expiresAt = invocation.deadline ?? now + config.claimStaleSeconds * 1000;
      const claim = await claimObject(sidecars, object, { requestId: invocation.requestId, now, expiresAt });
      if (!claim.claimed) {
        log.info({ eTag: object.eTag, reason: claim.reason }, 'duplicate delivery, skipped');
        // The marker this delivery just rewrote must not outlive the work that settled the version already.
        if (claim.state === 'done') await clearIfSettled(sidecars, object, await sidecars.read(object.bucket, object.key));
        // A busy claim may belong to an attempt that is about to crash: ask FC to re-deliver later.
        return claim.state === 'done' ? { status: 'duplicate', reason: claim.reason } : { status: 'busy', reason: claim.reason, retryable: true };
      }
      claimed = true;
      try {
        sidecar = { ...base, ...(await runJob(job, object, runtime, invocation)) };
      } catch (caught) {
        sidecar = failed(caught, 'IMM operation failed');
      }
    }
  }
  const sidecarKey = await sidecars.write(object.bucket, object.key, sidecar);
  if (claimed) {
    // Only a success is final. A failure releases the claim: FC's re-delivery (retryable errors) or the same
    // bytes uploaded again after a permission fix (same eTag) must be able to do the work.
    await settleClaim(sidecars, object, sidecar.status === 'failed' ? 'released' : 'done', { requestId: invocation.requestId, now: Date.now() });
  }
  // A `submitted` sidecar keeps its marker until the task's outcome is recorded (shared/taskDone.ts).
  if (isFinal(sidecar)) await clearPending(sidecars, object);
  log.info({ status: sidecar.status, sidecarKey }, 'sidecar written');
  return { status: sidecar.status, sidecarKey, retryable };
}

/**
 * An object whose key has `.`/`..` or empty segments or a control character is never processed: no marker, no
 * claim, no IMM call, no retry. Its sidecar says `skipped` (reasonCode `InvalidKey`) when the sidecar key can be
 * written as it is: no `.`/`..` segment and no control character. ali-oss (like any WHATWG URL) normalises `.` and
 * `..` segments out of the request path, so `results/incoming/x/../a.jpg.json` would be signed for one key and
 * sent for another (OSS answers SignatureDoesNotMatch), or, signed as sent, land on `results/incoming/a.jpg.json`,
 * the sidecar of another object. Empty segments survive the URL (`results/incoming//a.jpg.json` is written as
 * such), and a final `.`/`..` segment becomes `..json`/`...json`, no dot segment. Otherwise the object is dropped
 * with a log line. A sidecar write that fails is logged too, and never retried.
 */
export function sidecarKeyWritable(key: string): boolean {
  return !hasDotSegment(key) && !hasControlCharacter(key);
}

async function skipInvalidKey(object: UploadedObject, problem: string, sidecars: SidecarStore, resultsPrefix: string, log: Invocation['log']): Promise<UploadOutcome> {
  const key = sidecarKey(resultsPrefix, object.key);
  if (!sidecarKeyWritable(key)) {
    log.warn({ problem }, 'object key is invalid and so would its sidecar key be: dropped without a sidecar');
    return { status: 'ignored', reason: 'InvalidKey' };
  }
  const sidecar: Sidecar = {
    source: formatOssUri(object),
    eTag: object.eTag || undefined,
    operation: 'none',
    status: 'skipped',
    reasonCode: 'InvalidKey',
    reason: problem,
    processedAt: new Date().toISOString(),
  };
  try {
    await sidecars.write(object.bucket, object.key, sidecar);
  } catch (caught) {
    log.warn({ err: describeError(caught), problem }, 'object key is invalid and its sidecar could not be written: dropped');
    return { status: 'ignored', reason: 'InvalidKey' };
  }
  log.warn({ problem, sidecarKey: key }, 'object key is invalid: skipped');
  return { status: 'skipped', sidecarKey: key, retryable: false };
}

type JobResult = Omit<Sidecar, 'source' | 'eTag' | 'processedAt'>;

/** Runs the IMM operation of a job. Tasks answer at once: the sidecar says `submitted` until the task is done. */
async function runJob(job: Exclude<Job, { operation: 'none' }>, object: UploadedObject, runtime: Runtime, invocation: Invocation): Promise<JobResult> {
  const { config } = runtime;
  const imm = await runtime.imm(invocation);
  const options = { deadline: invocation.deadline };
  const sourceUri = formatOssUri(object);
  // IMM hands UserData back with the task result: on-task-done finds the sidecar from it.
  const userData = JSON.stringify({ source: sourceUri, eTag: object.eTag });
  const notification = config.notifyTopic ? { mnsTopic: config.notifyTopic } : undefined;
  if (job.operation === 'DetectImageScore') {
    const result = await imm.detectImageScore({ projectName: config.immProject, sourceUri }, options);
    return { operation: job.operation, status: 'succeeded', score: result.score, requestId: result.requestId };
  }
  if (job.operation === 'CreateMediaConvertTask') {
    const target = mediaTarget(object, config.outputPrefix, job.container);
    const task = await imm.createMediaConvertTask(
      { projectName: config.immProject, sourceUri, targetUri: target, container: job.container, ...transcodeFor(job.container), notification, userData },
      options,
    );
    return { operation: job.operation, status: 'submitted', taskId: task.taskId, taskType: 'MediaConvert', target, requestId: task.requestId };
  }
  const target = documentTargetPrefix(object, config.outputPrefix);
  const task = await imm.createOfficeConversionTask(
    { projectName: config.immProject, sourceUri, targetType: job.targetType, targetUriPrefix: target, pages: job.pages, notification, userData },
    options,
  );
  return { operation: job.operation, status: 'submitted', taskId: task.taskId, taskType: 'OfficeConversion', target, requestId: task.requestId };
}
