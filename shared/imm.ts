// A typed IMM (2020-09-30) client over @alicloud/openapi-core `callApi`, sending exactly what the
// generated @alicloud/imm20200930 SDK sends (reference/imm-sts.md §1): RPC style, POST /, params in
// the query, ACS3-HMAC-SHA256 signatures.
import type { Config } from './config';
import type { Credentials } from './credentials';
import { AppError, ForbiddenError, NotFoundError, UpstreamError } from './errors';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry';
import { isTransient, sdkErrorInfo } from './sdkError';

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

export interface ImmClient {
  detectImageScore(input: { projectName: string; sourceUri: string }, options?: CallOptions): Promise<ImageScore>;
}

export interface ImmClientOptions {
  retry?: Partial<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>>;
}

type Query = Record<string, string | number | boolean | undefined>;
type CallImm = (action: string, query: Query, options?: CallOptions) => Promise<Record<string, unknown>>;

/** Context the error mapping needs to name the grant that is missing. */
export interface ImmErrorContext {
  action: string;
  projectName: string;
  sourceUri?: string;
  operatorRoleArn?: string;
}

export function createImmClient(credentials: Credentials, config: Pick<Config, 'region' | 'immEndpoint' | 'immRoleArn'>, clientOptions: ImmClientOptions = {}): ImmClient {
  const call = openApiCaller(credentials, config);
  // Transient failures (throttling, 5xx, network) are retried; DetectImageScore has no side effects.
  const callWithRetry: CallImm = (action, query, options?: CallOptions) =>
    withRetry(() => call(action, query), { ...DEFAULT_RETRY, ...clientOptions.retry, deadline: options?.deadline, isRetryable: (e) => isTransient(sdkErrorInfo(e)) });
  return {
    async detectImageScore({ projectName, sourceUri }, options) {
      const context = { action: 'DetectImageScore', projectName, sourceUri, operatorRoleArn: config.immRoleArn };
      const body = await callWithMapping((action, query) => callWithRetry(action, query, options), context, { ProjectName: projectName, SourceURI: sourceUri });
      const score = (body.ImageScore as { OverallQualityScore?: unknown } | undefined)?.OverallQualityScore;
      if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
        throw new UpstreamError('InvalidImmResponse', 'DetectImageScore answered without a score in [0, 1]', 502);
      }
      return { score, requestId: String(body.RequestId ?? '') };
    },
  };
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
  if (/file access forbidden/i.test(info.message) || info.code === 'OSSAccessDenied') {
    const bucket = /^oss:\/\/([^/]+)\//.exec(context.sourceUri ?? '')?.[1] ?? '<bucket>';
    return new ForbiddenError(
      'BucketDeniedImm',
      `the bucket \`${bucket}\` denied IMM's service role${where}: ${info.message}`,
      `add a statement to the bucket policy of \`${bucket}\` that allows Principal \`arn:sts::<media-account-id>:assumed-role/AliyunIMMDefaultRole/*\` the action \`oss:GetObject\` on \`acs:oss:*:*:${bucket}/<input-prefix>*\` (run \`npm run cli -- policy generate\` to produce it)`,
      error,
    );
  }
  if (info.statusCode === 403 || /AccessDenied|Forbidden|NotAuthorized/i.test(info.code)) {
    const role = context.operatorRoleArn ? `the operator role \`${context.operatorRoleArn}\`` : "the function's role";
    return new ForbiddenError(
      'ImmAccessDenied',
      `IMM denied ${context.action}${where}: ${info.message}`,
      `in the media account, allow ${role} the action \`imm:${context.action}\` on \`acs:imm:*:*:project/${context.projectName}\``,
      error,
    );
  }
  if (info.code === 'ResourceNotFound' || info.statusCode === 404) {
    const isObject = /object|oss/i.test(info.message);
    return new NotFoundError(
      isObject ? 'ObjectNotFound' : 'ResourceNotFound',
      isObject ? `the object${where.replace(' on', '')} does not exist` : `IMM ${context.action}: ${info.message}`,
      isObject ? undefined : `check that the IMM project \`${context.projectName}\` exists in the media account and region`,
      error,
    );
  }
  if (info.statusCode !== undefined && info.statusCode >= 400 && info.statusCode < 500) {
    return new AppError('ImmRejected', `IMM ${context.action} rejected the request${where}: ${info.code}: ${info.message}`, 400, { cause: error });
  }
  return new UpstreamError('ImmFailed', `IMM ${context.action} failed: ${info.code}`, 502, error);
}
