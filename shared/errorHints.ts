// One table of the errors STS, OSS and IMM document, and what each becomes for our callers: our code, our
// HTTP status, and a hint that names the fix. Entries match on the service's Code first; a message pattern
// only narrows a code that covers several causes. Each entry quotes the documented text and names its source.
//
// Where the real service gives one code and one sentence for several causes, the hint names every cause
// instead of guessing (STS NoPermission: missing sts:AssumeRole on the caller, a trust policy that does not
// list the caller, or an ExternalId that does not satisfy the trust policy's condition).
import { AppError, ForbiddenError, NotFoundError, UpstreamError } from './errors';
import type { SdkErrorInfo } from './sdkError';

export type Service = 'sts' | 'oss' | 'imm';

/** What the hint may name; every field is optional, the hint says `<…>` for what it does not know. */
export interface HintContext {
  /** STS: the operator role being assumed, and whether an ExternalId was sent. */
  roleArn?: string;
  withExternalId?: boolean;
  /** OSS: the bucket and key of the call, and the OSS operation (`GetObject`, `PutObject`). */
  bucket?: string;
  key?: string;
  operation?: string;
  /** IMM: the action and project, and the role that called IMM (undefined: the function's own). */
  action?: string;
  projectName?: string;
  operatorRoleArn?: string;
  /** IMM: the project's service role (IMM_SERVICE_ROLE), which the caller passes to IMM. */
  serviceRoleName?: string;
}

export interface KnownError {
  service: Service;
  /** The service's Code; a trailing `*` matches every code with that prefix. */
  code: string;
  /** Narrows a code that stands for several causes; tested against the service's Message. */
  message?: RegExp;
  /** As the source writes it (status when the source gives one). */
  documented: { status?: number; message: string };
  source: string;
  ours: { code: string; status: number; retryable?: boolean };
  hint?: (context: HintContext) => string;
}

const ROLE = (c: HintContext) => `\`${c.roleArn ?? 'IMM_ROLE_ARN'}\``;
const OSS_RESOURCE = (c: HintContext) =>
  // Listing is authorized on the bucket, narrowed by the listed prefix (oss:Prefix); objects on their keys.
  c.operation === 'ListObjects'
    ? `\`acs:oss:*:*:${c.bucket ?? '<bucket>'}\` with \`StringLike\` \`oss:Prefix\` \`${c.key ?? ''}*\``
    : `\`acs:oss:*:*:${c.bucket ?? '<bucket>'}/${c.key?.includes('/') ? `${c.key.split('/')[0]}/*` : (c.key ?? '*')}\``;

/** Every cause of STS NoPermission for AssumeRole; the response does not say which one applies. */
const assumeRoleDeniedHint = (c: HintContext) =>
  `STS gives the same answer for each of these causes, check them in order: ` +
  `(1) in the media account, the trust policy of ${ROLE(c)} must list this data account (\`acs:ram::<data-account-id>:root\` or the function role) under Principal.RAM` +
  (c.withExternalId
    ? `; (2) its Condition \`StringEquals\` \`sts:ExternalId\` must equal IMM_ROLE_EXTERNAL_ID exactly (a wrong or missing ExternalId is refused the same way)`
    : `; (2) if the trust policy has an \`sts:ExternalId\` condition, set IMM_ROLE_EXTERNAL_ID to its value`) +
  `; (3) in the data account, the function role needs \`sts:AssumeRole\` on ${ROLE(c)} (a custom policy, or AliyunSTSAssumeRoleAccess)`;

/** The function's own credentials (FC's context.credentials) were refused by the service that checked them. */
const functionKeyHint = (service: string) => (_c: HintContext) =>
  `${service} refused the function's own credentials: give the function a role in s.yaml (FC passes its temporary credentials in context.credentials) and, when ${service === 'STS' ? 'STS_ENDPOINT' : 'OSS_ENDPOINT'} is set, check that it points to the real service`;

const STS_ASSUME_ROLE = 'https://www.alibabacloud.com/help/doc-detail/28763.html';
const STS_COMMON = 'https://www.alibabacloud.com/help/doc-detail/42775.htm';
const STS_DOC_REPO = 'https://github.com/AlibabaCloudDocs/ram (intl.en-US/API Reference (STS)/Operation interfaces/AssumeRole.md @ 1a5568e, error codes table; intl.zh-CN twin for the 404 row)';
const POP_COMMON = 'POP common errors, e.g. https://help.aliyun.com/en/resource-management/tag/developer-reference/api-tag-2018-08-28-errorcodes';
const OSS_403 = 'https://www.alibabacloud.com/help/en/oss/how-to-troubleshoot-403-status-code-when-you-access-oss';
const IMM_ERRORS = 'https://www.alibabacloud.com/help/en/imm/developer-reference/error-handling-1';

export const KNOWN_ERRORS: readonly KnownError[] = [
  // ---- STS AssumeRole -------------------------------------------------------------------------------------
  {
    service: 'sts',
    code: 'NoPermission',
    message: /root accounts/i,
    documented: { message: 'Roles may not be assumed by root accounts.' },
    source: STS_COMMON,
    ours: { code: 'AssumeRoleDenied', status: 403 },
    hint: () => 'AssumeRole must be called by a RAM user or role, never with an account\'s root AccessKey: give the function a role in s.yaml',
  },
  {
    service: 'sts',
    code: 'NoPermission',
    documented: { status: 403, message: 'You are not authorized to do this action. You should be authorized by RAM.' },
    // Older wording, same code: "No permission perform sts:AssumeRole on this Role. Maybe…" (STS_COMMON, truncated there).
    source: `${STS_ASSUME_ROLE} ; ${STS_DOC_REPO} ; causes: AlibabaCloudDocs/ram intl.en-US/FAQ/FAQ about RAM roles and STS tokens.md`,
    ours: { code: 'AssumeRoleDenied', status: 403 },
    hint: assumeRoleDeniedHint,
  },
  {
    service: 'sts',
    code: 'EntityNotExist.Role',
    documented: { status: 404, message: 'The specified Role not exists.' },
    source: `${STS_DOC_REPO} ; "The role not exists" in other products' tables`,
    // 403 for our callers: their request is fine, our deployment names a role that is not there.
    ours: { code: 'RoleNotFound', status: 403 },
    hint: (c) => `check IMM_ROLE_ARN ${ROLE(c)}: the operator role must exist in the media account, and the ARN must name a role (\`:role/\`), not a user`,
  },
  {
    service: 'sts',
    code: 'InvalidParameter.RoleArn',
    documented: { status: 400, message: 'The parameter RoleArn is wrongly formed.' },
    source: STS_DOC_REPO,
    ours: { code: 'AssumeRoleFailed', status: 502 },
    hint: () => 'IMM_ROLE_ARN must be `acs:ram::<media-account-id>:role/<role-name>`',
  },
  {
    service: 'sts',
    code: 'InvalidParameter.DurationSeconds',
    documented: { status: 400, message: 'The Min/Max value of DurationSeconds is 15min/1hr.' },
    source: STS_DOC_REPO,
    ours: { code: 'AssumeRoleFailed', status: 502 },
    hint: (c) => `STS_DURATION_SECONDS must be from 900 to the MaxSessionDuration of ${ROLE(c)} (3600 unless raised): lower it, or raise the role's MaxSessionDuration`,
  },
  {
    service: 'sts',
    code: 'InvalidParameter.Policy*',
    documented: { status: 400, message: 'The parameter Policy has not passed grammar check.' },
    source: `${STS_DOC_REPO} (also InvalidParameter.PolicySize "The size of Policy must be smaller than 1024 bytes.")`,
    ours: { code: 'AssumeRoleFailed', status: 502 },
    hint: () => 'STS refused the session policy imm-bridge sends: set IMM_SESSION_POLICY=off to assume the role without one, and report the message',
  },
  {
    service: 'sts',
    code: 'InvalidAccessKeyId.*',
    documented: { message: 'Specified access key is not found' },
    source: `${STS_COMMON} (InvalidAccessKeyId.Inactive: "Specified access key is disabled.")`,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    hint: functionKeyHint('STS'),
  },
  {
    service: 'sts',
    code: 'InvalidSecurityToken.Expired',
    documented: { message: 'Specified SecurityToken is expired.' },
    source: POP_COMMON,
    // The next invocation brings fresh context credentials: worth retrying.
    ours: { code: 'StsCredentialsExpired', status: 503, retryable: true },
    hint: () => 'the function\'s own temporary credentials expired before STS was called: FC passes fresh ones with every invocation, so the event is retried',
  },
  {
    service: 'sts',
    code: 'InvalidSecurityToken.*',
    documented: { message: 'Specified SecurityToken mismatch with the AccessKey.' },
    source: `${POP_COMMON} (also InvalidSecurityToken.Malformed "Specified SecurityToken is malformed.")`,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    hint: functionKeyHint('STS'),
  },
  {
    service: 'sts',
    code: 'MissingSecurityToken',
    documented: { message: 'SecurityToken is mandatory for this action.' },
    source: STS_COMMON,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    hint: functionKeyHint('STS'),
  },
  {
    service: 'sts',
    code: 'SignatureDoesNotMatch',
    documented: { message: 'Specified signature is not matched with our calculation.' },
    source: POP_COMMON,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    hint: functionKeyHint('STS'),
  },

  // ---- OSS ------------------------------------------------------------------------------------------------
  {
    service: 'oss',
    code: 'AccessDenied',
    message: /bucket policy/i,
    documented: { status: 403, message: 'Access denied by bucket policy.' },
    source: 'https://www.alibabacloud.com/help/en/oss/support/0003-00000201 (EC 0003-00000201 and neighbours)',
    ours: { code: 'OssAccessDenied', status: 403 },
    hint: (c) =>
      `a policy refused \`oss:${c.operation ?? '<action>'}\` on ${OSS_RESOURCE(c)}: allow it to the function role, and check that neither the bucket policy of \`${c.bucket ?? '<bucket>'}\` nor the role's policies have a Deny that matches`,
  },
  {
    service: 'oss',
    code: 'AccessDenied',
    documented: { status: 403, message: 'You have no right to access this object because of bucket acl.' },
    source: `${OSS_403} ; https://www.alibabacloud.com/help/en/oss/support/0003-00000001`,
    ours: { code: 'OssAccessDenied', status: 403 },
    hint: (c) => `allow the function role \`oss:${c.operation ?? '<action>'}\` on ${OSS_RESOURCE(c)}`,
  },
  {
    service: 'oss',
    code: 'NoSuchBucket',
    documented: { status: 404, message: 'The specified bucket does not exist.' },
    source: 'OSS error codes (legacy list; reference/local-stack.md §3.1)',
    ours: { code: 'BucketNotFound', status: 404 },
    hint: (c) => `check the bucket name \`${c.bucket ?? '<bucket>'}\` (ALLOWED_BUCKETS) and that the bucket is in REGION`,
  },
  {
    service: 'oss',
    code: 'NoSuchKey',
    documented: { status: 404, message: 'The specified key does not exist.' },
    source: 'OSS error codes (legacy list; reference/local-stack.md §3.1)',
    ours: { code: 'ObjectNotFound', status: 404 },
  },
  {
    service: 'oss',
    code: 'SecurityTokenExpired',
    documented: { status: 403, message: 'The security token you provided has expired.' },
    source: 'https://alibabacloud.com/help/en/oss/support/0002-00000007 (wording as quoted in https://developer.aliyun.com/ask/553273)',
    ours: { code: 'OssCredentialsExpired', status: 503, retryable: true },
    hint: () => 'the function\'s temporary credentials expired during the call: FC passes fresh ones with every invocation, so the event is retried',
  },
  {
    service: 'oss',
    code: 'InvalidAccessKeyId',
    documented: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.' },
    source: `${OSS_403} ; https://www.alibabacloud.com/help/en/oss/the-the-oss-access-key-id-you-provided-does-not-exist-in-our-records-error-message-is-returned`,
    ours: { code: 'OssCredentialsRejected', status: 502 },
    hint: (c) => `${functionKeyHint('OSS')(c)}; with STS credentials this also means the key expired or was sent without its security token`,
  },
  {
    service: 'oss',
    code: 'InvalidSecurityToken',
    documented: { status: 403, message: 'The security token you provided is invalid' },
    source: `${OSS_403} ; https://www.alibabacloud.com/help/en/oss/support/0002-00000006`,
    ours: { code: 'OssCredentialsRejected', status: 502 },
    hint: functionKeyHint('OSS'),
  },
  {
    service: 'oss',
    code: 'SignatureDoesNotMatch',
    documented: { status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' },
    source: 'https://www.alibabacloud.com/help/doc-detail/42777.htm',
    // Never a refusal of the grant (AccessDenied): OSS could not check the request at all. With the function's own
    // STS credentials and a working SDK, the usual cause is a key that the client's URL handling changed after signing.
    ours: { code: 'OssSignatureMismatch', status: 502 },
    hint: (c) =>
      `OSS computed another signature than the client sent: if the key ${c.key ? `\`${c.key.slice(0, 100)}\` ` : ''}has \`.\`, \`..\` or empty segments, the client normalised the URL after signing it (such objects are skipped as \`InvalidKey\`); ` +
      `otherwise check that OSS_ENDPOINT (when set) points to the real service and that no proxy rewrites the request`,
  },

  // ---- IMM ------------------------------------------------------------------------------------------------
  // IMM's table (IMM_ERRORS) documents only its 400 rows; the access rows below are field reports, marked.
  {
    service: 'imm',
    code: 'AccessDenied',
    message: /ram:PassRole/i,
    documented: { status: 403, message: 'You are not authorized to operate on the specified resources. ({detail naming ram:PassRole})' },
    source:
      'field report of IMM\'s RAM refusal (reference/imm-sts.md §6, status UNVERIFIED); PassRole on the service role: OSS "use IMM features" policy and shared/policy/immGrants.ts (OPERATIONS_PASSING_SERVICE_ROLE)',
    ours: { code: 'ImmPassRoleDenied', status: 403 },
    hint: (c) => {
      const role = c.operatorRoleArn ? `the operator role \`${c.operatorRoleArn}\`` : "the function's role";
      const account = /^acs:ram::(\d+):role\//.exec(c.operatorRoleArn ?? '')?.[1] ?? '<media-account-id>';
      return (
        `IMM acts as the project's service role for ${c.action ?? 'this operation'}, so the caller must be allowed to pass it: in the media account, allow ${role} ` +
        `\`ram:PassRole\` on \`acs:ram::${account}:role/${c.serviceRoleName ?? 'AliyunIMMDefaultRole'}\` (the PassImmServiceRole statement \`policy generate\` writes); ` +
        `the session policy imm-bridge sends allows the same, for the role IMM_SERVICE_ROLE names, which must be the project's service role`
      );
    },
  },
  {
    service: 'imm',
    code: '*',
    message: /file access forbidden/i,
    documented: { status: 400, message: 'File access forbidden.' },
    source: 'field report (developer.aliyun.com, reference/imm-sts.md §6), not in IMM_ERRORS: UNVERIFIED',
    ours: { code: 'BucketDeniedImm', status: 403 },
  },
  {
    service: 'imm',
    code: 'ResourceNotFound',
    message: /resource project is not found/i,
    documented: { status: 400, message: 'The specified resource project is not found.' },
    source: `${IMM_ERRORS} ; GetTask's own example "The specified resource project is not found." (imm-20200930 GetTaskResponseBody)`,
    ours: { code: 'ResourceNotFound', status: 404 },
    hint: (c) => `check that the IMM project \`${c.projectName ?? 'IMM_PROJECT'}\` exists in the media account and REGION`,
  },
  {
    service: 'imm',
    code: 'ResourceNotFound',
    message: /resource task is not found/i,
    documented: { status: 400, message: 'The specified resource {ResourceType} is not found.' },
    source: IMM_ERRORS,
    ours: { code: 'TaskNotFound', status: 404 },
    hint: (c) => `no task with this id and type in project \`${c.projectName ?? 'IMM_PROJECT'}\`: check both (IMM keeps a task's information for 7 days)`,
  },
  {
    service: 'imm',
    code: 'ResourceNotFound',
    message: /resource oss\w* is not found/i,
    documented: { status: 400, message: 'The specified resource {ResourceType} is not found.' },
    source: IMM_ERRORS,
    ours: { code: 'ObjectNotFound', status: 404 },
  },
  {
    service: 'imm',
    code: 'LimitExceededError',
    documented: { status: 400, message: 'input quota exceed the max value' },
    source: IMM_ERRORS,
    ours: { code: 'ImmLimitExceeded', status: 429, retryable: true },
    hint: () => 'an IMM quota was reached: lower BATCH_CONCURRENCY, or ask for a higher IMM quota',
  },
  {
    service: 'imm',
    code: 'InvalidArgument',
    documented: { status: 400, message: 'The parameter ProjectName is required but not provided.' },
    source: IMM_ERRORS,
    ours: { code: 'ImmRejected', status: 400 },
  },
  {
    service: 'imm',
    code: 'Missing*',
    documented: { status: 400, message: '{ParameterName} is mandatory for this action.' },
    source: IMM_ERRORS,
    ours: { code: 'ImmRejected', status: 400 },
  },
];

function codeMatches(pattern: string, code: string): boolean {
  return pattern.endsWith('*') ? code.startsWith(pattern.slice(0, -1)) : pattern === code;
}

/**
 * The entry for an error: among the entries whose code matches, one whose message pattern matches wins over
 * one without a pattern; an exact code wins over a prefix. Undefined when the table does not know the error.
 */
export function findKnownError(service: Service, info: Pick<SdkErrorInfo, 'code' | 'message'>): KnownError | undefined {
  const candidates = KNOWN_ERRORS.filter((e) => e.service === service && codeMatches(e.code, info.code) && (!e.message || e.message.test(info.message)));
  const rank = (e: KnownError) => (e.message ? 0 : 2) + (e.code.endsWith('*') ? 1 : 0);
  return candidates.sort((a, b) => rank(a) - rank(b))[0];
}

/** The AppError a known entry stands for, with `message` as our sentence and the entry's hint for `context`. */
export function knownAppError(known: KnownError, message: string, context: HintContext, cause: unknown): AppError {
  const hint = known.hint?.(context);
  const { code, status, retryable } = known.ours;
  if (status === 403) return new ForbiddenError(code, message, hint, cause);
  if (status === 404) return new NotFoundError(code, message, hint, cause);
  if (retryable && (status === 502 || status === 503 || status === 504)) return new UpstreamError(code, message, status, cause, hint);
  // Known errors have known, secret-free messages: a caller may read them.
  return new AppError(code, message, status, { hint, cause, retryable, expose: true });
}
