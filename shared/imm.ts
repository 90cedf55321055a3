// A typed IMM (2020-09-30) client over @alicloud/openapi-core `callApi`, sending exactly what the
// generated @alicloud/imm20200930 SDK sends (reference/imm-sts.md §1): RPC style, POST /, params in
// the query, ACS3-HMAC-SHA256 signatures.
import type { Config } from './config';
import type { Credentials } from './credentials';
import { AppError, UpstreamError } from './errors';
import { findKnownError, knownAppError, type HintContext } from './errorHints';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry';
import { isTransient, sdkErrorInfo, type SdkErrorInfo } from './sdkError';

// The SDKs' HTTP layer (httpx) passes `connectTimeout` to Node as the socket idle timeout, so it also bounds
// the wait for the response headers: it must cover IMM's processing time, not just the TCP handshake.
const CONNECT_TIMEOUT_MS = 30_000;
const READ_TIMEOUT_MS = 30_000;

export interface ImageScore {
  score: number;
  requestId: string;
}

export interface CallOptions {
  /** Epoch ms after which no retry is started (the FC invocation's deadline). */
  deadline?: number;
}

export type TaskType = 'MediaConvert' | 'OfficeConversion';

export interface TaskSubmitted {
  taskId: string;
  requestId: string;
}

export interface TaskInfo {
  taskId: string;
  taskType: string;
  status: string;
  code?: string;
  message?: string;
  startTime?: string;
  endTime?: string;
  /** What the submitter put in UserData (on-upload: `{source, eTag}`); never shown to API callers. */
  userData?: string;
}

export interface WebofficeTokens {
  url?: string;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

/** IMM's MNS notification target: where task results are published. */
export interface Notification {
  mnsTopic?: string;
}

export interface MediaConvertInput {
  projectName: string;
  sourceUri: string;
  targetUri: string;
  container: string;
  video?: { codec?: string; resolution?: string; crf?: number; bitrate?: number };
  audio?: { codec?: string; bitrate?: number };
  notification?: Notification;
  userData?: string;
}

export interface OfficeConversionInput {
  projectName: string;
  sourceUri: string;
  targetType: 'pdf' | 'png' | 'jpg' | 'txt';
  targetUriPrefix: string;
  pages?: string;
  notification?: Notification;
  userData?: string;
}

export interface ImmClient {
  detectImageScore(input: { projectName: string; sourceUri: string }, options?: CallOptions): Promise<ImageScore>;
  createMediaConvertTask(input: MediaConvertInput, options?: CallOptions): Promise<TaskSubmitted>;
  createOfficeConversionTask(input: OfficeConversionInput, options?: CallOptions): Promise<TaskSubmitted>;
  generateWebofficeToken(input: { projectName: string; sourceUri: string; readonly?: boolean; user?: { id: string; name?: string } }, options?: CallOptions): Promise<WebofficeTokens>;
  refreshWebofficeToken(input: { projectName: string; accessToken: string; refreshToken: string }, options?: CallOptions): Promise<WebofficeTokens>;
  getTask(input: { projectName: string; taskType: TaskType; taskId: string }, options?: CallOptions): Promise<TaskInfo>;
}

export interface ImmClientOptions {
  retry?: Partial<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>>;
  /** Replaces the HTTP call (tests check the wire shape without sockets). */
  call?: CallImm;
}

export type Query = Record<string, string | number | boolean | undefined>;
export type CallImm = (action: string, query: Query, options?: CallOptions) => Promise<Record<string, unknown>>;

/** Context the error mapping needs to name the grant that is missing. */
export interface ImmErrorContext {
  action: string;
  projectName: string;
  sourceUri?: string;
  operatorRoleArn?: string;
  /** The project's service role (IMM_SERVICE_ROLE), named by the hint for a missing ram:PassRole. */
  serviceRoleName?: string;
}

export function createImmClient(credentials: Credentials, config: Pick<Config, 'region' | 'immEndpoint' | 'immRoleArn'> & Partial<Pick<Config, 'immServiceRole'>>, clientOptions: ImmClientOptions = {}): ImmClient {
  const call = clientOptions.call ?? openApiCaller(credentials, config);
  const retrying = (isRetryable: (info: SdkErrorInfo) => boolean): CallImm => (action, query, options) =>
    withRetry(() => call(action, query), { ...DEFAULT_RETRY, ...clientOptions.retry, deadline: options?.deadline, isRetryable: (e) => isRetryable(sdkErrorInfo(e)) });
  // Reads (scores, tokens, task status) are retried on any transient failure. A task creation is retried only
  // when IMM certainly did nothing (throttled or unavailable): after a timeout it may have created the task.
  const read = retrying(isTransient);
  const create = retrying((info) => info.code.includes('Throttling') || info.statusCode === 429 || info.statusCode === 503);
  const run = (caller: CallImm, context: ImmErrorContext, query: Query, options?: CallOptions) =>
    callWithMapping((action, q) => caller(action, q, options), context, query);
  const errorContext = (action: string, projectName: string, sourceUri?: string): ImmErrorContext => ({ action, projectName, sourceUri, operatorRoleArn: config.immRoleArn, serviceRoleName: config.immServiceRole });
  return {
    async detectImageScore({ projectName, sourceUri }, options) {
      const body = await run(read, errorContext('DetectImageScore', projectName, sourceUri), { ProjectName: projectName, SourceURI: sourceUri }, options);
      const score = (body.ImageScore as { OverallQualityScore?: unknown } | undefined)?.OverallQualityScore;
      if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
        throw new UpstreamError('InvalidImmResponse', 'DetectImageScore answered without a score in [0, 1]', 502);
      }
      return { score, requestId: String(body.RequestId ?? '') };
    },
    async createMediaConvertTask(input, options) {
      const target: Record<string, unknown> = { URI: input.targetUri, Container: input.container };
      if (input.video) target.Video = { TranscodeVideo: pascal({ Codec: input.video.codec, Resolution: input.video.resolution, CRF: input.video.crf, Bitrate: input.video.bitrate }) };
      if (input.audio) target.Audio = { TranscodeAudio: pascal({ Codec: input.audio.codec, Bitrate: input.audio.bitrate }) };
      const body = await run(create, errorContext('CreateMediaConvertTask', input.projectName, input.sourceUri), {
        ProjectName: input.projectName,
        // Complex parameters travel as JSON strings in the query, as the generated SDK's "shrink" does.
        Sources: JSON.stringify([{ URI: input.sourceUri }]),
        Targets: JSON.stringify([target]),
        Notification: notificationJson(input.notification),
        UserData: input.userData,
      }, options);
      return submitted(body, 'CreateMediaConvertTask');
    },
    async createOfficeConversionTask(input, options) {
      const body = await run(create, errorContext('CreateOfficeConversionTask', input.projectName, input.sourceUri), {
        ProjectName: input.projectName,
        SourceURI: input.sourceUri,
        TargetType: input.targetType,
        TargetURIPrefix: input.targetUriPrefix,
        Pages: input.pages,
        Notification: notificationJson(input.notification),
        UserData: input.userData,
      }, options);
      return submitted(body, 'CreateOfficeConversionTask');
    },
    async generateWebofficeToken(input, options) {
      const body = await run(read, errorContext('GenerateWebofficeToken', input.projectName, input.sourceUri), {
        ProjectName: input.projectName,
        SourceURI: input.sourceUri,
        Permission: JSON.stringify({ Readonly: input.readonly ?? true }),
        User: input.user ? JSON.stringify(pascal({ Id: input.user.id, Name: input.user.name })) : undefined,
      }, options);
      return tokens(body, 'GenerateWebofficeToken');
    },
    async refreshWebofficeToken(input, options) {
      const body = await run(read, errorContext('RefreshWebofficeToken', input.projectName), {
        ProjectName: input.projectName,
        AccessToken: input.accessToken,
        RefreshToken: input.refreshToken,
      }, options);
      return tokens(body, 'RefreshWebofficeToken');
    },
    async getTask(input, options) {
      const body = await run(read, errorContext('GetTask', input.projectName), { ProjectName: input.projectName, TaskType: input.taskType, TaskId: input.taskId }, options);
      if (typeof body.TaskId !== 'string' || typeof body.Status !== 'string') throw new UpstreamError('InvalidImmResponse', 'GetTask answered without TaskId and Status', 502);
      return {
        taskId: body.TaskId,
        taskType: String(body.TaskType ?? input.taskType),
        status: body.Status,
        ...optionalStrings(body, { code: 'Code', message: 'Message', startTime: 'StartTime', endTime: 'EndTime', userData: 'UserData' }),
      };
    },
  };
}

/** Drops undefined fields, so the JSON IMM receives holds only what was set. */
function pascal(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function notificationJson(notification: Notification | undefined): string | undefined {
  return notification?.mnsTopic ? JSON.stringify({ MNS: { TopicName: notification.mnsTopic } }) : undefined;
}

function submitted(body: Record<string, unknown>, action: string): TaskSubmitted {
  if (typeof body.TaskId !== 'string' || !body.TaskId) throw new UpstreamError('InvalidImmResponse', `${action} answered without a TaskId`, 502);
  return { taskId: body.TaskId, requestId: String(body.RequestId ?? '') };
}

function tokens(body: Record<string, unknown>, action: string): WebofficeTokens {
  const { AccessToken, RefreshToken, AccessTokenExpiredTime, RefreshTokenExpiredTime, WebofficeURL } = body;
  if (typeof AccessToken !== 'string' || typeof RefreshToken !== 'string') throw new UpstreamError('InvalidImmResponse', `${action} answered without tokens`, 502);
  return {
    ...(typeof WebofficeURL === 'string' ? { url: WebofficeURL } : {}),
    accessToken: AccessToken,
    accessTokenExpiresAt: String(AccessTokenExpiredTime ?? ''),
    refreshToken: RefreshToken,
    refreshTokenExpiresAt: String(RefreshTokenExpiredTime ?? ''),
  };
}

function optionalStrings<K extends string>(body: Record<string, unknown>, fields: Record<K, string>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [key, wire] of Object.entries(fields) as [K, string][]) if (typeof body[wire] === 'string' && body[wire]) out[key] = body[wire] as string;
  return out;
}

function openApiCaller(credentials: Credentials, config: Pick<Config, 'region' | 'immEndpoint'>): CallImm {
  let client: Promise<{ call: CallImm }> | undefined;
  const load = async () => {
    const { default: OpenApi, $OpenApiUtil, OpenApiUtil } = await import('@alicloud/openapi-core');
    const { RuntimeOptions } = await import('@darabonba/typescript');
    const api = new OpenApi(
      new $OpenApiUtil.Config({
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        securityToken: credentials.securityToken,
        regionId: config.region,
        // The generic client has no endpoint rule: the generated SDK's rule gives imm.<region>.aliyuncs.com.
        endpoint: config.immEndpoint?.host ?? `imm.${config.region}.aliyuncs.com`,
        protocol: config.immEndpoint?.protocol ?? 'https',
      }),
    );
    const call: CallImm = async (action, query) => {
      const params = new $OpenApiUtil.Params({
        action,
        version: '2020-09-30',
        protocol: 'HTTPS',
        pathname: '/',
        method: 'POST',
        authType: 'AK',
        style: 'RPC',
        reqBodyType: 'formData',
        bodyType: 'json',
      });
      const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
      const request = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(defined) });
      const runtime = new RuntimeOptions({ connectTimeout: CONNECT_TIMEOUT_MS, readTimeout: READ_TIMEOUT_MS });
      const response = (await api.callApi(params, request, runtime)) as { body?: Record<string, unknown> };
      return response.body ?? {};
    };
    return { call };
  };
  return async (action, query) => {
    client ??= load();
    return (await client).call(action, query);
  };
}

async function callWithMapping(call: CallImm, context: ImmErrorContext, query: Query): Promise<Record<string, unknown>> {
  try {
    return await call(context.action, query);
  } catch (error) {
    throw immError(error, context);
  }
}

/** Turns an IMM error into one a user can act on: which grant is missing, and where to add it. */
export function immError(error: unknown, context: ImmErrorContext): AppError {
  if (error instanceof AppError) return error;
  const info = sdkErrorInfo(error);
  const where = context.sourceUri ? ` on \`${context.sourceUri}\`` : '';
  if (isTransient(info)) {
    const status = info.code.includes('Throttling') || info.statusCode === 503 || info.statusCode === 429 ? 503 : 502;
    return new UpstreamError('ImmUnavailable', `IMM ${context.action} failed: ${info.code}`, status, error);
  }
  // The documented codes first (shared/errorHints.ts); what the table leaves out falls through to the rules below,
  // which pick a table entry too, so every hint has one wording.
  const location = /^oss:\/\/([^/]+)\/(.*)$/.exec(context.sourceUri ?? '');
  const [bucket, key] = [location?.[1], location?.[2]];
  const hintContext: HintContext = {
    action: context.action,
    projectName: context.projectName,
    operatorRoleArn: context.operatorRoleArn,
    serviceRoleName: context.serviceRoleName,
    bucket,
    key,
  };
  const entry = (code: string, message = '') => findKnownError('imm', { code, message });
  const known =
    findKnownError('imm', info) ??
    (info.code === 'OSSAccessDenied' ? entry('*', 'File access forbidden.') : undefined) ??
    (info.statusCode === 403 || /AccessDenied|Forbidden|NotAuthorized/i.test(info.code) ? entry('AccessDenied') : undefined) ??
    (info.code === 'ResourceNotFound' || info.statusCode === 404 ? notFoundEntry(info.message, context.action) : undefined);
  if (!known) return otherImmError(error, info, context, where);
  switch (known.ours.code) {
    case 'BucketDeniedImm':
      // The bucket (not RAM) refused IMM's service role while it read the source: the fix is a bucket policy
      // statement for the source's folder.
      return knownAppError(known, `the bucket \`${bucket ?? '<bucket>'}\` denied IMM's service role${where}: ${info.message}`, { ...hintContext, operation: 'GetObject', prefix: key?.includes('/') ? `${key.split('/')[0]}/` : '' }, error);
    case 'ImmAccessDenied':
      return knownAppError(known, `IMM denied ${context.action}${where}: ${info.message}`, hintContext, error);
    case 'ObjectNotFound':
      return knownAppError(known, `the object${where.replace(' on', '')} does not exist`, hintContext, error);
    default:
      return knownAppError(known, `IMM ${context.action}${where}: ${info.code}: ${info.message}`, hintContext, error);
  }
}

/**
 * IMM's 404s name the resource (`The specified resource Project is not found.`, `… resource Task …`,
 * `… OSSObject …`); the rest of the message may quote names (a project called `oss-media`), so the resource
 * decides first and the older keyword match is only a fallback.
 */
function notFoundEntry(message: string, action: string) {
  const resource = /resource (\w+) is not found/i.exec(message)?.[1]?.toLowerCase();
  const isObject = resource ? resource.startsWith('oss') : /object|oss/i.test(message);
  const isTask = action === 'GetTask' && (resource ? resource === 'task' : !/project/i.test(message));
  const documented = `The specified resource ${isObject ? 'OSSObject' : isTask ? 'Task' : 'Project'} is not found.`;
  return findKnownError('imm', { code: 'ResourceNotFound', message: documented });
}

function otherImmError(error: unknown, info: SdkErrorInfo, context: ImmErrorContext, where: string): AppError {
  if (info.statusCode !== undefined && info.statusCode >= 400 && info.statusCode < 500) {
    return new AppError('ImmRejected', `IMM ${context.action} rejected the request${where}: ${info.code}: ${info.message}`, 400, { cause: error });
  }
  return new UpstreamError('ImmFailed', `IMM ${context.action} failed: ${info.code}`, 502, error);
}
