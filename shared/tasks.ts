// Asynchronous IMM work on request: media conversion, document conversion, document preview tokens, and
// task status. Every URI is validated and checked against the api's scope (ALLOWED_BUCKETS and API_PREFIXES,
// shared/scope.ts) before any cloud call; outputs always go under OUTPUT_PREFIX, next to nothing the trigger watches.
import { ownHint } from './errorHints';
import { BadRequestError, ForbiddenError } from './errors';
import type { MediaConvertInput, TaskInfo, TaskType, WebofficeTokens } from './imm';
import type { Invocation, Runtime } from './runtime';
import { apiLocation } from './scope';
import { formatOssUri, type OssLocation } from './uri';

export const VIDEO_CONTAINERS = ['mp4', 'mkv', 'mov', 'flv', 'ts'] as const;
export const AUDIO_CONTAINERS = ['mp3', 'aac', 'flac', 'opus'] as const;
export const DOCUMENT_TARGETS = ['pdf', 'png', 'jpg', 'txt'] as const;
export const TASK_TYPES: readonly TaskType[] = ['MediaConvert', 'OfficeConversion'];

export interface Submitted {
  taskId: string;
  taskType: TaskType;
  target: string;
}

/** `incoming/a.mov` → `converted/incoming/a.mov.mp4`. */
export function mediaTarget(location: OssLocation, outputPrefix: string, container: string): string {
  return formatOssUri({ bucket: location.bucket, key: `${outputPrefix}${location.key}.${container}` });
}

/** `incoming/a.pdf` → `converted/incoming/a.pdf/`. */
export function documentTargetPrefix(location: OssLocation, outputPrefix: string): string {
  return formatOssUri({ bucket: location.bucket, key: `${outputPrefix}${location.key}/` });
}

/** H.264/AAC for video containers, the container's own codec for audio-only ones. */
export function transcodeFor(container: string): Pick<MediaConvertInput, 'video' | 'audio'> {
  if ((AUDIO_CONTAINERS as readonly string[]).includes(container)) return { audio: { codec: container === 'aac' ? 'aac' : container === 'opus' ? 'opus' : container } };
  return { video: { codec: 'h264', crf: 23 }, audio: { codec: 'aac' } };
}

export async function submitMediaConvert(uri: unknown, container: unknown, runtime: Runtime, invocation: Invocation): Promise<Submitted> {
  const location = apiLocation(uri, runtime.config);
  const chosen = container ?? 'mp4';
  if (typeof chosen !== 'string' || ![...VIDEO_CONTAINERS, ...AUDIO_CONTAINERS].includes(chosen as never)) {
    throw new BadRequestError(`unsupported container \`${String(chosen).slice(0, 20)}\``, `use one of ${[...VIDEO_CONTAINERS, ...AUDIO_CONTAINERS].join(', ')}`, 'InvalidContainer');
  }
  const target = mediaTarget(location, runtime.config.outputPrefix, chosen);
  const imm = await runtime.imm(invocation);
  const { taskId } = await imm.createMediaConvertTask(
    { projectName: runtime.config.immProject, sourceUri: formatOssUri(location), targetUri: target, container: chosen, ...transcodeFor(chosen) },
    { deadline: invocation.deadline },
  );
  return { taskId, taskType: 'MediaConvert', target };
}

export async function submitDocumentConvert(uri: unknown, targetType: unknown, runtime: Runtime, invocation: Invocation): Promise<Submitted> {
  const location = apiLocation(uri, runtime.config);
  if (typeof targetType !== 'string' || !(DOCUMENT_TARGETS as readonly string[]).includes(targetType)) {
    throw new BadRequestError('`targetType` must be one of pdf, png, jpg, txt', undefined, 'InvalidTargetType');
  }
  const target = documentTargetPrefix(location, runtime.config.outputPrefix);
  const imm = await runtime.imm(invocation);
  const { taskId } = await imm.createOfficeConversionTask(
    { projectName: runtime.config.immProject, sourceUri: formatOssUri(location), targetType: targetType as (typeof DOCUMENT_TARGETS)[number], targetUriPrefix: target },
    { deadline: invocation.deadline },
  );
  return { taskId, taskType: 'OfficeConversion', target };
}

export async function previewDocument(uri: unknown, readonly: unknown, user: unknown, runtime: Runtime, invocation: Invocation): Promise<WebofficeTokens> {
  const location = apiLocation(uri, runtime.config);
  if (readonly !== undefined && typeof readonly !== 'boolean') throw new BadRequestError('`readonly` must be a boolean', undefined, 'InvalidBody');
  let previewUser: { id: string; name?: string } | undefined;
  if (user !== undefined) {
    const u = user as { id?: unknown; name?: unknown } | null;
    // IMM: Id up to 15 letters and digits, Name up to 32 characters.
    if (!u || typeof u !== 'object' || typeof u.id !== 'string' || !/^[A-Za-z0-9]{1,15}$/.test(u.id) || (u.name !== undefined && (typeof u.name !== 'string' || u.name.length > 32))) {
      throw new BadRequestError('`user` must be `{"id": 1-15 letters or digits, "name"?: up to 32 characters}`', undefined, 'InvalidBody');
    }
    previewUser = { id: u.id, name: u.name as string | undefined };
  }
  // An editable session lets the token holder change the document in the bucket: a deliberate setting, and logged.
  if (readonly === false && !runtime.config.previewAllowEdit) {
    throw new ForbiddenError('PreviewEditNotAllowed', 'editable previews (`readonly: false`) are turned off', ownHint('PreviewEditNotAllowed'));
  }
  const imm = await runtime.imm(invocation);
  const tokens = await imm.generateWebofficeToken({ projectName: runtime.config.immProject, sourceUri: formatOssUri(location), readonly: readonly ?? true, user: previewUser }, { deadline: invocation.deadline });
  // Never the tokens: whoever holds them can edit the document.
  if (readonly === false) invocation.log.info({ bucket: location.bucket, key: location.key, user: previewUser?.id }, 'editable preview granted');
  return tokens;
}

export async function refreshPreview(accessToken: unknown, refreshToken: unknown, runtime: Runtime, invocation: Invocation): Promise<WebofficeTokens> {
  for (const [name, value] of [['accessToken', accessToken], ['refreshToken', refreshToken]] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 4096) throw new BadRequestError(`\`${name}\` must be a non-empty string`, undefined, 'InvalidBody');
  }
  const imm = await runtime.imm(invocation);
  return imm.refreshWebofficeToken({ projectName: runtime.config.immProject, accessToken: accessToken as string, refreshToken: refreshToken as string }, { deadline: invocation.deadline });
}

export async function taskStatus(taskType: string, taskId: string, runtime: Runtime, invocation: Invocation): Promise<Omit<TaskInfo, 'userData'>> {
  if (!TASK_TYPES.includes(taskType as TaskType)) throw new BadRequestError(`unknown task type \`${taskType.slice(0, 40)}\``, `use ${TASK_TYPES.join(' or ')}`, 'InvalidTaskType');
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(taskId)) throw new BadRequestError('the task id must be 1-128 letters, digits, `-` or `_`', undefined, 'InvalidTaskId');
  const imm = await runtime.imm(invocation);
  // UserData is the submitter's bookkeeping (on-upload's source and eTag), not part of the API's answer.
  const { userData: _userData, ...task } = await imm.getTask({ projectName: runtime.config.immProject, taskType: taskType as TaskType, taskId }, { deadline: invocation.deadline });
  return task;
}
