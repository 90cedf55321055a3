// One table of the errors STS, OSS and IMM document, and what each becomes for our callers: our code, our
// HTTP status, and a hint that names the fix. Entries match on the service's Code first; a message pattern
// only narrows a code that covers several causes. Each entry quotes the documented text and names its source.
//
// Where the real service gives one code and one sentence for several causes, the hint names every cause
// instead of guessing (STS NoPermission: missing sts:AssumeRole on the caller, a trust policy that does not
// list the caller, or an ExternalId that does not satisfy the trust policy's condition).
//
// The same table, with OUR_ERRORS (codes of our own that a sidecar or the api carries) and SYMPTOMS, is the
// README's troubleshooting section (`npm run docs:troubleshooting`): each entry's `cause`, and its hint rendered
// without context, so that what the functions say and what the README says cannot drift apart. At run time a hint
// names what the caller knows (bucket, prefix, role, account id); without it, it names the setting or a `<placeholder>`.
import { AppError, ForbiddenError, NotFoundError, UpstreamError } from './errors';
import type { SdkErrorInfo } from './sdkError';

export type Service = 'sts' | 'oss' | 'imm';

/** What the hint may name; every field is optional, the hint says `<…>` for what it does not know. */
export interface HintContext {
  /** STS: the operator role being assumed, and whether an ExternalId was sent. */
  roleArn?: string;
  withExternalId?: boolean;
  /** STS: the data account the function runs in (FC's context.accountId). */
  dataAccountId?: string;
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
  /** The key prefix a grant or a rule is about (INPUT_PREFIX, OUTPUT_PREFIX), ending in `/`. */
  prefix?: string;
  /** Scope: the prefixes served and the setting they come from. */
  prefixes?: readonly string[];
  prefixSetting?: 'API_PREFIXES' | 'INPUT_PREFIX';
}

export type Hint = (context: HintContext) => string;

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
  /** Why it happens, in one short sentence, for the README. */
  cause: string;
  hint: Hint;
}

const ROLE = (c: HintContext) => `\`${c.roleArn ?? 'IMM_ROLE_ARN'}\``;
/** The account of a role ARN (`acs:ram::<id>:role/…`): the media account for the operator role. */
const accountOf = (roleArn: string | undefined) => /^acs:ram::(\d+):role\//.exec(roleArn ?? '')?.[1];
const MEDIA_ACCOUNT = (c: HintContext) => accountOf(c.operatorRoleArn ?? c.roleArn) ?? '<media-account-id>';
/** The role that calls IMM: the operator role, or the function's own role when IMM_ROLE_ARN is unset. */
const IMM_CALLER = (c: HintContext) =>
  c.operatorRoleArn ? `the operator role \`${c.operatorRoleArn}\`` : "the operator role (IMM_ROLE_ARN; the function's own role when unset)";
/** Where OSS authorizes an operation: bucket-level operations on the bucket, listing narrowed by oss:Prefix, objects on their keys. */
const OSS_RESOURCE = (c: HintContext) => {
  const bucket = c.bucket ?? '<bucket>';
  if (c.operation === 'ListObjects') return `\`acs:oss:*:*:${bucket}\` with \`StringLike\` \`oss:Prefix\` \`${c.key ?? ''}*\``;
  if (c.operation === 'GetBucketVersioning') return `\`acs:oss:*:*:${bucket}\``;
  return `\`acs:oss:*:*:${bucket}/${c.key?.includes('/') ? `${c.key.split('/')[0]}/*` : (c.key ?? '*')}\``;
};

/** Every cause of STS NoPermission for AssumeRole; the response does not say which one applies. */
const assumeRoleDeniedHint: Hint = (c) =>
  `STS gives this answer for three causes, check in order: (1) the trust policy of ${ROLE(c)} must list ` +
  `\`acs:ram::${c.dataAccountId ?? '<data-account-id>'}:root\` (or the function role) under Principal.RAM` +
  (c.withExternalId
    ? `; (2) its \`sts:ExternalId\` condition must equal IMM_ROLE_EXTERNAL_ID exactly`
    : `; (2) if the trust policy has an \`sts:ExternalId\` condition, set IMM_ROLE_EXTERNAL_ID to its value`) +
  `; (3) the function role needs \`sts:AssumeRole\` on ${ROLE(c)}`;

/** The function's own credentials (FC's context.credentials) were refused by the service that checked them. */
const functionKeyHint = (service: 'STS' | 'OSS'): Hint => () =>
  `${service} refused the function's own credentials: give the function a role in s.yaml (FC passes its temporary credentials in context.credentials), and check that ${service}_ENDPOINT, when set, points to the real service`;

const FUNCTION_KEY_CAUSE = (service: string) => `${service} refused the function's own credentials: no role on the function, or an endpoint that is not the real service`;

/** The bucket policy statement that lets IMM's service role read the input or write the output (what `policy generate` writes). */
const immGrantHint: Hint = (c) => {
  const bucket = c.bucket ?? '<bucket>';
  const grant = c.operation
    ? `the action \`oss:${c.operation}\` on \`acs:oss:*:*:${bucket}/${c.prefix ?? '<prefix>/'}*\``
    : `the actions \`oss:GetObject\` on INPUT_PREFIX and \`oss:PutObject\` on OUTPUT_PREFIX`;
  return (
    `the bucket policy of \`${bucket}\` must allow Principal \`arn:sts::${MEDIA_ACCOUNT(c)}:assumed-role/${c.serviceRoleName ?? 'AliyunIMMDefaultRole'}/*\` ` +
    `${grant} (\`npm run cli -- policy generate\` writes the statement)`
  );
};

/** For every push the MNS endpoint refuses: only MNS, subscribed to the task topic, may call it. */
const pushHint: Hint = () => 'only MNS may call this endpoint: subscribe it to the task topic as an HTTP endpoint (see `policy generate`)';

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
    cause: 'the function called STS with an account\'s root AccessKey',
    hint: () => 'AssumeRole must be called by a RAM user or role, never with an account\'s root AccessKey: give the function a role in s.yaml',
  },
  {
    service: 'sts',
    code: 'NoPermission',
    documented: { status: 403, message: 'You are not authorized to do this action. You should be authorized by RAM.' },
    // Older wording, same code: "No permission perform sts:AssumeRole on this Role. Maybe…" (STS_COMMON, truncated there).
    source: `${STS_ASSUME_ROLE} ; ${STS_DOC_REPO} ; causes: AlibabaCloudDocs/ram intl.en-US/FAQ/FAQ about RAM roles and STS tokens.md`,
    ours: { code: 'AssumeRoleDenied', status: 403 },
    cause: 'the operator role does not trust the data account, the ExternalId differs, or the function role may not assume it',
    hint: assumeRoleDeniedHint,
  },
  {
    service: 'sts',
    code: 'EntityNotExist.Role',
    documented: { status: 404, message: 'The specified Role not exists.' },
    source: `${STS_DOC_REPO} ; "The role not exists" in other products' tables`,
    // 403 for our callers: their request is fine, our deployment names a role that is not there.
    ours: { code: 'RoleNotFound', status: 403 },
    cause: 'IMM_ROLE_ARN names no role in the media account',
    hint: (c) => `IMM_ROLE_ARN${c.roleArn ? ` \`${c.roleArn}\`` : ''} must name a role (\`:role/\`, not a user) that exists in the media account`,
  },
  {
    service: 'sts',
    code: 'InvalidParameter.RoleArn',
    documented: { status: 400, message: 'The parameter RoleArn is wrongly formed.' },
    source: STS_DOC_REPO,
    ours: { code: 'AssumeRoleFailed', status: 502 },
    cause: 'IMM_ROLE_ARN is no role ARN',
    // The ARN is malformed, so the account and role can only be named as placeholders.
    hint: () => 'IMM_ROLE_ARN must be `acs:ram::<media-account-id>:role/<role-name>`',
  },
  {
    service: 'sts',
    code: 'InvalidParameter.DurationSeconds',
    documented: { status: 400, message: 'The Min/Max value of DurationSeconds is 15min/1hr.' },
    source: STS_DOC_REPO,
    ours: { code: 'AssumeRoleFailed', status: 502 },
    cause: 'STS_DURATION_SECONDS is outside what the role allows',
    hint: (c) => `STS_DURATION_SECONDS must be from 900 to the MaxSessionDuration of ${ROLE(c)} (3600 unless raised): lower it, or raise the role's MaxSessionDuration`,
  },
  {
    service: 'sts',
    code: 'InvalidParameter.Policy*',
    documented: { status: 400, message: 'The parameter Policy has not passed grammar check.' },
    source: `${STS_DOC_REPO} (also InvalidParameter.PolicySize "The size of Policy must be smaller than 1024 bytes.")`,
    ours: { code: 'AssumeRoleFailed', status: 502 },
    cause: 'STS refused the session policy imm-bridge sends',
    hint: () => 'set IMM_SESSION_POLICY=off to assume the role without a session policy, and report the message',
  },
  {
    service: 'sts',
    code: 'InvalidAccessKeyId.*',
    documented: { message: 'Specified access key is not found' },
    source: `${STS_COMMON} (InvalidAccessKeyId.Inactive: "Specified access key is disabled.")`,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    cause: FUNCTION_KEY_CAUSE('STS'),
    hint: functionKeyHint('STS'),
  },
  {
    service: 'sts',
    code: 'InvalidSecurityToken.Expired',
    documented: { message: 'Specified SecurityToken is expired.' },
    source: POP_COMMON,
    // The next invocation brings fresh context credentials: worth retrying.
    ours: { code: 'StsCredentialsExpired', status: 503, retryable: true },
    cause: 'the function\'s own temporary credentials expired before STS was called',
    hint: () => 'the function\'s own credentials expired before the call: FC passes fresh ones with every invocation, so the event is retried',
  },
  {
    service: 'sts',
    code: 'InvalidSecurityToken.*',
    documented: { message: 'Specified SecurityToken mismatch with the AccessKey.' },
    source: `${POP_COMMON} (also InvalidSecurityToken.Malformed "Specified SecurityToken is malformed.")`,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    cause: FUNCTION_KEY_CAUSE('STS'),
    hint: functionKeyHint('STS'),
  },
  {
    service: 'sts',
    code: 'MissingSecurityToken',
    documented: { message: 'SecurityToken is mandatory for this action.' },
    source: STS_COMMON,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    cause: FUNCTION_KEY_CAUSE('STS'),
    hint: functionKeyHint('STS'),
  },
  {
    service: 'sts',
    code: 'SignatureDoesNotMatch',
    documented: { message: 'Specified signature is not matched with our calculation.' },
    source: POP_COMMON,
    ours: { code: 'StsCredentialsRejected', status: 502 },
    cause: FUNCTION_KEY_CAUSE('STS'),
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
    cause: 'a Deny in the bucket policy or the function role\'s policies, or no Allow, for the function role',
    hint: (c) =>
      `allow the function role \`oss:${c.operation ?? '<Action>'}\` on ${OSS_RESOURCE(c)}, and check that neither the bucket policy of \`${c.bucket ?? '<bucket>'}\` nor the role's policies have a Deny that matches`,
  },
  {
    service: 'oss',
    code: 'AccessDenied',
    documented: { status: 403, message: 'You have no right to access this object because of bucket acl.' },
    source: `${OSS_403} ; https://www.alibabacloud.com/help/en/oss/support/0003-00000001`,
    ours: { code: 'OssAccessDenied', status: 403 },
    cause: 'the function role has no grant for the OSS operation',
    hint: (c) => `allow the function role \`oss:${c.operation ?? '<Action>'}\` on ${OSS_RESOURCE(c)} (\`npm run cli -- policy generate\` writes it)`,
  },
  {
    service: 'oss',
    code: 'NoSuchBucket',
    documented: { status: 404, message: 'The specified bucket does not exist.' },
    source: 'OSS error codes (legacy list; reference/local-stack.md §3.1)',
    ours: { code: 'BucketNotFound', status: 404 },
    cause: 'the bucket does not exist, or not in REGION',
    hint: (c) => `check the bucket name \`${c.bucket ?? '<bucket>'}\` (ALLOWED_BUCKETS) and that the bucket is in REGION`,
  },
  {
    service: 'oss',
    code: 'NoSuchKey',
    documented: { status: 404, message: 'The specified key does not exist.' },
    source: 'OSS error codes (legacy list; reference/local-stack.md §3.1)',
    ours: { code: 'ObjectNotFound', status: 404 },
    cause: 'the object was deleted, or never written',
    hint: (c) => `check that \`${c.key ?? '<key>'}\` exists in \`${c.bucket ?? '<bucket>'}\``,
  },
  {
    service: 'oss',
    code: 'SecurityTokenExpired',
    documented: { status: 403, message: 'The security token you provided has expired.' },
    source: 'https://alibabacloud.com/help/en/oss/support/0002-00000007 (wording as quoted in https://developer.aliyun.com/ask/553273)',
    ours: { code: 'OssCredentialsExpired', status: 503, retryable: true },
    cause: 'the function\'s temporary credentials expired during the call',
    hint: () => 'the function\'s own credentials expired during the call: FC passes fresh ones with every invocation, so the event is retried',
  },
  {
    service: 'oss',
    code: 'InvalidAccessKeyId',
    documented: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.' },
    source: `${OSS_403} ; https://www.alibabacloud.com/help/en/oss/the-the-oss-access-key-id-you-provided-does-not-exist-in-our-records-error-message-is-returned`,
    ours: { code: 'OssCredentialsRejected', status: 502 },
    cause: `${FUNCTION_KEY_CAUSE('OSS')}; with STS credentials, also a key that expired or came without its security token`,
    hint: (c) => `${functionKeyHint('OSS')(c)}; with STS credentials, the key may also have expired or come without its security token`,
  },
  {
    service: 'oss',
    code: 'InvalidSecurityToken',
    documented: { status: 403, message: 'The security token you provided is invalid' },
    source: `${OSS_403} ; https://www.alibabacloud.com/help/en/oss/support/0002-00000006`,
    ours: { code: 'OssCredentialsRejected', status: 502 },
    cause: FUNCTION_KEY_CAUSE('OSS'),
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
    cause: 'the client normalised a key with `.`, `..` or empty segments after signing, or something rewrote the request',
    hint: (c) =>
      `if the key ${c.key ? `\`${c.key.slice(0, 100)}\` ` : ''}has \`.\`, \`..\` or empty segments, the client normalised the URL after signing it (such objects are skipped as \`InvalidKey\`); ` +
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
    cause: 'IMM acts as the project\'s service role, and the caller may not pass it',
    hint: (c) => {
      return (
        `in the media account, allow ${IMM_CALLER(c)} \`ram:PassRole\` on \`acs:ram::${MEDIA_ACCOUNT(c)}:role/${c.serviceRoleName ?? 'AliyunIMMDefaultRole'}\` (the PassImmServiceRole statement of \`policy generate\`); ` +
        `IMM_SERVICE_ROLE must name the project's service role`
      );
    },
  },
  {
    service: 'imm',
    code: 'AccessDenied',
    documented: { status: 403, message: 'You are not authorized to operate on the specified resources. ({detail naming the imm: action})' },
    source: 'field report of IMM\'s RAM refusal (reference/imm-sts.md §6, status UNVERIFIED)',
    ours: { code: 'ImmAccessDenied', status: 403 },
    cause: 'the operator role (or the function role, without IMM_ROLE_ARN) has no grant for the IMM action',
    hint: (c) => `in the media account, allow ${IMM_CALLER(c)} the action \`imm:${c.action ?? '<Action>'}\` on \`acs:imm:*:*:project/${c.projectName ?? 'IMM_PROJECT'}\``,
  },
  {
    service: 'imm',
    code: '*',
    message: /file access forbidden/i,
    documented: { status: 400, message: 'File access forbidden.' },
    source: 'field report (developer.aliyun.com, reference/imm-sts.md §6), not in IMM_ERRORS: UNVERIFIED',
    ours: { code: 'BucketDeniedImm', status: 403 },
    cause: 'the bucket policy does not let IMM\'s service role read the input or write the output',
    hint: immGrantHint,
  },
  {
    service: 'imm',
    code: 'ResourceNotFound',
    message: /resource project is not found/i,
    documented: { status: 400, message: 'The specified resource project is not found.' },
    source: `${IMM_ERRORS} ; GetTask's own example "The specified resource project is not found." (imm-20200930 GetTaskResponseBody)`,
    ours: { code: 'ResourceNotFound', status: 404 },
    cause: 'IMM_PROJECT does not exist in the media account and REGION',
    hint: (c) => `check that the IMM project \`${c.projectName ?? 'IMM_PROJECT'}\` exists in the media account and REGION`,
  },
  {
    service: 'imm',
    code: 'ResourceNotFound',
    message: /resource task is not found/i,
    documented: { status: 400, message: 'The specified resource {ResourceType} is not found.' },
    source: IMM_ERRORS,
    ours: { code: 'TaskNotFound', status: 404 },
    cause: 'a wrong task id or type, or a task older than 7 days',
    hint: (c) => `no task with this id and type in project \`${c.projectName ?? 'IMM_PROJECT'}\`: check both (IMM keeps a task's information for 7 days)`,
  },
  {
    service: 'imm',
    code: 'ResourceNotFound',
    message: /resource oss\w* is not found/i,
    documented: { status: 400, message: 'The specified resource {ResourceType} is not found.' },
    source: IMM_ERRORS,
    ours: { code: 'ObjectNotFound', status: 404 },
    cause: 'the object was deleted, or never written',
    hint: (c) => `check that \`${c.key ?? '<key>'}\` exists in \`${c.bucket ?? '<bucket>'}\``,
  },
  {
    service: 'imm',
    code: 'LimitExceededError',
    documented: { status: 400, message: 'input quota exceed the max value' },
    source: IMM_ERRORS,
    ours: { code: 'ImmLimitExceeded', status: 429, retryable: true },
    cause: 'an IMM quota was reached',
    hint: () => 'lower BATCH_CONCURRENCY, or ask for a higher IMM quota',
  },
  {
    service: 'imm',
    code: 'InvalidArgument',
    documented: { status: 400, message: 'The parameter ProjectName is required but not provided.' },
    source: IMM_ERRORS,
    ours: { code: 'ImmRejected', status: 400 },
    cause: 'IMM refused a parameter of the request',
    hint: () => 'the message names the parameter: check the setting it comes from (IMM_PROJECT, the `uri`), or report the message',
  },
  {
    service: 'imm',
    code: 'Missing*',
    documented: { status: 400, message: '{ParameterName} is mandatory for this action.' },
    source: IMM_ERRORS,
    ours: { code: 'ImmRejected', status: 400 },
    cause: 'IMM refused a parameter of the request',
    hint: () => 'the message names the parameter: check the setting it comes from (IMM_PROJECT, the `uri`), or report the message',
  },
];

/** Our own codes that a user meets and can act on: not a cloud's error, but a rule of ours or a cloud's answer we refuse. */
export interface OwnError {
  /** HTTP status for the api and push endpoint; undefined where only a sidecar carries the code. */
  status?: number;
  /** Where a user meets it: `api`, `push` (the MNS endpoint), `sidecar`, `logs`. */
  where: string;
  /** What the cloud said, when a cloud's answer (not an error) led to it. */
  observed?: string;
  cause: string;
  hint: Hint;
}

export const OUR_ERRORS = {
  Unauthorized: {
    status: 401,
    where: 'api',
    cause: 'no bearer token, or one whose SHA-256 is not listed',
    hint: () => 'send `Authorization: Bearer <token>` with a token whose SHA-256 is listed in API_TOKENS_SHA256',
  },
  ApiNotConfigured: {
    status: 500,
    where: 'logs; the caller sees `InternalError`',
    cause: 'API_TOKENS_SHA256 is empty, so no caller can be authenticated',
    hint: () => 'set API_TOKENS_SHA256 on the api function to the SHA-256 of each token it accepts',
  },
  InvalidUri: {
    status: 400,
    where: 'api',
    cause: 'the `uri` is no `oss://` URI, or names an invalid bucket or key',
    hint: () => 'use `oss://<bucket>/<key>`, e.g. `oss://my-bucket/incoming/photo.jpg`',
  },
  BucketNotAllowed: {
    status: 403,
    where: 'api',
    cause: 'the bucket is not in ALLOWED_BUCKETS',
    hint: (c) => `add \`${c.bucket ?? '<bucket>'}\` to ALLOWED_BUCKETS (and grant IMM access to it in its bucket policy)`,
  },
  KeyNotAllowed: {
    status: 403,
    where: 'api',
    cause: 'the key is outside API_PREFIXES (INPUT_PREFIX unless set)',
    hint: (c) =>
      `use an object under ${c.prefixes?.length ? c.prefixes.map((p) => `\`${p}\``).join(', ') : 'a served prefix'}` +
      (c.prefixSetting === 'INPUT_PREFIX' ? '' : ', or add its prefix to API_PREFIXES (and grant IMM read access to it in the bucket policy)'),
  },
  InvalidKey: {
    where: 'sidecar `skipped`, `reasonCode`',
    cause: 'the key has `.`, `..` or empty segments, or control characters, which OSS clients rewrite',
    hint: () => 'rename the object: keys with `.`, `..` or empty segments, or control characters, are never processed',
  },
  PreviewEditNotAllowed: {
    status: 403,
    where: 'api',
    cause: 'an editable preview (`readonly: false`) was asked for, and PREVIEW_ALLOW_EDIT is off',
    hint: () => 'omit `readonly` for a read-only preview, or set PREVIEW_ALLOW_EDIT=on on the api function',
  },
  BucketVersioningUnsupported: {
    status: 409,
    where: 'sidecar',
    observed: 'OSS GetBucketVersioning: `Enabled` or `Suspended`',
    cause: 'on a versioned bucket claims are not exclusive, so a duplicate OSS delivery could be processed twice',
    hint: () => 'send uploads to a bucket whose versioning was never enabled: OSS cannot turn versioning off, and Suspended still ignores x-oss-forbid-overwrite',
  },
  TaskOutcomeUnknown: {
    where: 'sidecar `failed`',
    observed: 'IMM GetTask no longer knows the task',
    cause: 'the task\'s notification never arrived, and IMM forgot the task before the reconciler asked',
    hint: () => 'upload the object again to process it again',
  },
  UnsupportedInLocalStack: {
    where: 'sidecar `failed`, local stack only',
    cause: 'the local IMM converts office documents with LibreOffice, which is not installed',
    hint: () => 'install LibreOffice (`apt-get install -y libreoffice`) so that `soffice` is on PATH, then upload the file again',
  },
  MissingFunctionRole: {
    status: 500,
    where: 'logs',
    cause: 'the function has no role, so FC passes no credentials',
    hint: () => 'set `role` on the function in s.yaml: FC fills context.credentials only for functions with a role',
  },
  MnsSignatureInvalid: { status: 403, where: 'push', cause: 'the request is not a push signed by MNS, or was changed on the way', hint: pushHint },
  MnsBodyMismatch: { status: 403, where: 'push', cause: 'the request is not a push signed by MNS, or was changed on the way', hint: pushHint },
  MnsPushMalformed: { status: 400, where: 'push', cause: 'the request is not a push signed by MNS, or was changed on the way', hint: pushHint },
  MnsCertificateNotFound: { status: 403, where: 'push', cause: 'the signing certificate the push names cannot be used', hint: pushHint },
  MnsCertificateInvalid: { status: 403, where: 'push', cause: 'the signing certificate the push names cannot be used', hint: pushHint },
  MnsCertificateUrlNotAllowed: {
    status: 403,
    where: 'push',
    cause: 'the push names a signing certificate outside MNS_CERT_URL_PREFIXES',
    hint: () => 'MNS_CERT_URL_PREFIXES lists the certificate URL prefixes accepted; MNS publishes its certificate under `https://mnstest.oss-cn-hangzhou.aliyuncs.com/`',
  },
  MnsCertificateUnavailable: {
    status: 502,
    where: 'push',
    cause: 'the function could not fetch MNS\'s signing certificate',
    hint: () => 'MNS retries the push; check that the function can reach the certificate URL',
  },
} satisfies Record<string, OwnError>;

export type OwnCode = keyof typeof OUR_ERRORS;

/** The hint for one of our own codes, with what the caller knows. */
export function ownHint(code: OwnCode, context: HintContext = {}): string {
  return (OUR_ERRORS[code] as OwnError).hint(context);
}

/** The hint of the entry that maps to our `code` (the first one), for errors raised without an SDK error in hand. */
export function hintFor(code: string, context: HintContext = {}): string | undefined {
  return KNOWN_ERRORS.find((e) => e.ours.code === code)?.hint(context);
}

/** What a user sees without any error code, and where to look. */
export interface Symptom {
  symptom: string;
  cause: string;
  fix: string;
}

export const SYMPTOMS: readonly Symptom[] = [
  {
    symptom: 'sidecar stays `submitted`',
    cause: 'the task\'s notification did not arrive',
    fix: 'check the topic, the service role\'s `mns:PublishMessage` and the subscription\'s endpoint; the reconciler settles the sidecar after RECONCILE_SUBMITTED_AFTER_SECONDS',
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
  const hint = known.hint(context);
  const { code, status, retryable } = known.ours;
  if (status === 403) return new ForbiddenError(code, message, hint, cause);
  if (status === 404) return new NotFoundError(code, message, hint, cause);
  if (retryable && (status === 502 || status === 503 || status === 504)) return new UpstreamError(code, message, status, cause, hint);
  // Known errors have known, secret-free messages: a caller may read them.
  return new AppError(code, message, status, { hint, cause, retryable, expose: true });
}
