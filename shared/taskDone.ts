// What happens when IMM says an upload's task finished: find the upload's sidecar and move it from
// `submitted` to `succeeded` or `failed`.
//
// The notification is only a hint. Anyone allowed to publish to the topic could forge one, so the outcome
// comes from IMM itself (GetTask with the operator role), and the sidecar to update comes from the task's own
// UserData (`{source, eTag}`, set by on-upload), checked against ALLOWED_BUCKETS and INPUT_PREFIX. A sidecar
// changes only while it says `submitted` for this very task: a duplicate delivery or a notification for an
// older upload of the same key changes nothing.
import { isLive } from './claims';
import { findKnownError, hintFor, ownHint } from './errorHints';
import { NotFoundError } from './errors';
import type { TaskInfo } from './imm';
import type { Sidecar, SidecarStore } from './oss';
import { clearPending } from './pending';
import type { Invocation, Runtime } from './runtime';
import { TASK_TYPES } from './tasks';
import type { TaskNotice } from './taskNotification';
import { parseOssUri, type OssLocation } from './uri';

export type TaskDoneOutcome =
  | { status: 'ignored'; reason: string }
  /** Not ready yet (the task still runs, or its sidecar is not written yet): re-deliver later. */
  | { status: 'pending'; reason: string; retryable: true }
  | { status: 'succeeded' | 'failed'; sidecarKey: string };

/** Messages IMM writes for a task can be long; a sidecar keeps the start. */
const MAX_MESSAGE_CHARS = 1000;

export async function processTaskDone(notice: TaskNotice, runtime: Runtime, invocation: Invocation, sidecars: SidecarStore): Promise<TaskDoneOutcome> {
  const { config } = runtime;
  const log = invocation.log.child({ taskId: notice.taskId, taskType: notice.taskType });
  if (notice.projectName !== config.immProject) return ignored(log, `the task belongs to project \`${notice.projectName}\`, not IMM_PROJECT`);
  if (!(TASK_TYPES as readonly string[]).includes(notice.taskType)) return ignored(log, `task type \`${notice.taskType}\` is not one imm-bridge submits`);

  const imm = await runtime.imm(invocation);
  let task: TaskInfo;
  try {
    task = await imm.getTask({ projectName: config.immProject, taskType: notice.taskType as (typeof TASK_TYPES)[number], taskId: notice.taskId }, { deadline: invocation.deadline });
  } catch (error) {
    if (error instanceof NotFoundError) return ignored(log, 'IMM has no such task in the project');
    throw error;
  }
  if (task.status !== 'Succeeded' && task.status !== 'Failed') {
    return pending(log, `IMM still reports the task as \`${task.status}\``);
  }

  const upload = uploadOf(task.userData, runtime);
  if (!upload) return ignored(log, 'the task was not submitted for an upload (no usable UserData)');
  const current = await sidecars.read(upload.bucket, upload.key);
  if (!current || current.taskId !== task.taskId) {
    // on-upload writes the sidecar right after IMM accepts the task, so a fast task can finish first; until then
    // the sidecar is missing or still the previous upload's. on-upload's live claim on this version says it is
    // still coming. Anything else (the claim settled or expired: the sidecar was deleted, or that attempt died)
    // will never change, and re-delivering it for a day would only cost GetTask calls.
    if (!upload.eTag) return current ? ignored(log, 'the sidecar tracks another task') : pending(log, 'the upload has no sidecar yet');
    const claim = await sidecars.readClaim(upload.bucket, upload.key, upload.eTag);
    if (claim && isLive(claim, Date.now())) return pending(log, 'on-upload has not written the sidecar for this task yet');
    return ignored(log, current ? 'the sidecar tracks another task (the object was uploaded again)' : 'the upload has no sidecar, and on-upload is not writing one');
  }
  if (current.status !== 'submitted') return ignored(log, `the sidecar already says \`${current.status}\``);

  const completedAt = new Date().toISOString();
  const next: Sidecar =
    task.status === 'Succeeded'
      ? { ...current, status: 'succeeded', processedAt: completedAt, submittedAt: current.processedAt }
      : { ...current, status: 'failed', processedAt: completedAt, submittedAt: current.processedAt, error: taskError(task, upload, config) };
  const sidecarKey = await sidecars.write(upload.bucket, upload.key, next);
  // The version is settled: its pending marker (written by on-upload) has served its purpose.
  await clearPending(sidecars, { bucket: upload.bucket, key: upload.key, eTag: current.eTag ?? upload.eTag ?? '' });
  // No claim is touched: a version whose sidecar says `failed` is processed again when the same bytes are
  // uploaded again (claims.ts, failedEarlier), so the fix the hint names can be retried.
  log.info({ status: next.status, sidecarKey, code: task.code }, 'sidecar updated from the finished task');
  return { status: next.status as 'succeeded' | 'failed', sidecarKey };
}

/** `{"source":"oss://bucket/incoming/x.mp4","eTag":"…"}` → the upload, if it is one this deployment owns. */
function uploadOf(userData: string | undefined, runtime: Runtime): (OssLocation & { eTag?: string }) | undefined {
  if (!userData) return undefined;
  let source: unknown;
  let eTag: unknown;
  try {
    ({ source, eTag } = (JSON.parse(userData) as { source?: unknown; eTag?: unknown } | null) ?? {});
  } catch {
    return undefined;
  }
  let location: OssLocation;
  try {
    location = parseOssUri(source);
  } catch {
    return undefined;
  }
  const { allowedBuckets, inputPrefix } = runtime.config;
  if (!allowedBuckets.has(location.bucket) || !location.key.startsWith(inputPrefix)) return undefined;
  // The eTag names a claim object; only what OSS writes in an ETag (hex, `-`, quotes) is taken.
  return { ...location, ...(typeof eTag === 'string' && /^[A-Za-z0-9"-]{1,80}$/.test(eTag) ? { eTag } : {}) };
}

/** The task's own Code and Message, with a hint where the fix is known: most failures are missing grants. */
function taskError(task: TaskInfo, upload: OssLocation, config: Pick<Runtime['config'], 'immProject' | 'inputPrefix' | 'outputPrefix' | 'immRoleArn' | 'immServiceRole'>): NonNullable<Sidecar['error']> {
  const code = task.code ?? 'TaskFailed';
  const message = shorten(task.message ?? 'IMM reported the task as failed without a message', MAX_MESSAGE_CHARS);
  // A task reports the same Code and Message as a failed call would (GetTask's example: ResourceNotFound,
  // "The specified resource project is not found."), so the same table applies.
  const known = findKnownError('imm', { code, message });
  let hint: string | undefined;
  if (known?.ours.code === 'BucketDeniedImm' || /AccessDenied|Forbidden/i.test(code)) {
    // IMM's message names what was refused: reading the input, or (otherwise) writing the output.
    const reading = /GetObject/.test(message);
    hint = hintFor('BucketDeniedImm', {
      bucket: upload.bucket,
      operation: reading ? 'GetObject' : 'PutObject',
      prefix: reading ? config.inputPrefix : config.outputPrefix,
      operatorRoleArn: config.immRoleArn,
      serviceRoleName: config.immServiceRole,
    });
  } else if (code === 'UnsupportedInLocalStack') {
    hint = ownHint('UnsupportedInLocalStack');
  } else if (known) {
    hint = known.hint({ projectName: config.immProject, operatorRoleArn: config.immRoleArn, serviceRoleName: config.immServiceRole, bucket: upload.bucket, key: upload.key });
  } else if (/InvalidMedia|InvalidFile|InvalidArgument/i.test(code)) {
    hint = 'the uploaded file could not be read as the format its extension names; upload a valid file';
  }
  return { code, message, ...(hint ? { hint } : {}) };
}

/** At most `max` characters, cut at a word boundary and marked with `…` when anything was cut. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

function ignored(log: Invocation['log'], reason: string): TaskDoneOutcome {
  log.info({ reason }, 'task notification ignored');
  return { status: 'ignored', reason };
}

function pending(log: Invocation['log'], reason: string): TaskDoneOutcome {
  log.info({ reason }, 'task notification not ready, asking for re-delivery');
  return { status: 'pending', reason, retryable: true };
}
