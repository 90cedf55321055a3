// Each error text below is quoted from the source named beside it, and shaped as the SDK throws it
// (openapi-core: code, statusCode, data.Message; ali-oss: code, status). The mapping must turn it into our
// code, status and hint, whichever component raised it.
import { assumeRoleError } from '../../shared/credentials';
import { findKnownError, KNOWN_ERRORS } from '../../shared/errorHints';
import type { AppError } from '../../shared/errors';
import { immError } from '../../shared/imm';
import { ossError } from '../../shared/oss';

const ROLE = 'acs:ram::2000000000000002:role/imm-bridge-operator';
/** What @alicloud/openapi-core throws for a 4xx JSON error body. */
const popError = (code: string, message: string, statusCode = 400) =>
  Object.assign(new Error(`${code}: code: ${statusCode}, ${message} request id: R-1`), { name: 'ClientError', code, statusCode, data: { Code: code, Message: message } });
/** What ali-oss throws for an XML error body. */
const ossSdkError = (code: string, message: string, status: number) => Object.assign(new Error(message), { name: `${code}Error`, code, status });

interface Case {
  text: string;
  code: string;
  message: string;
  status?: number;
  expected: { code: string; statusCode: number; hint?: RegExp[] };
}

describe('STS AssumeRole errors', () => {
  it.each<Case>([
    // https://www.alibabacloud.com/help/doc-detail/28763.html and AlibabaCloudDocs/ram AssumeRole.md: 403 NoPermission.
    // The same answer for a missing sts:AssumeRole, a trust policy without the caller, and a wrong ExternalId.
    {
      text: 'NoPermission (not authorized)',
      code: 'NoPermission',
      message: 'You are not authorized to do this action. You should be authorized by RAM.',
      status: 403,
      expected: { code: 'AssumeRoleDenied', statusCode: 403, hint: [/trust policy of `acs:ram::2000000000000002:role\/imm-bridge-operator`/, /Principal\.RAM/, /sts:ExternalId.*IMM_ROLE_EXTERNAL_ID/, /`sts:AssumeRole` on/] },
    },
    // https://www.alibabacloud.com/help/doc-detail/42775.htm (older wording of the same refusal).
    {
      text: 'NoPermission (older wording)',
      code: 'NoPermission',
      message: 'No permission perform sts:AssumeRole on this Role. Maybe you are not authorized to do sts:AssumeRole.',
      status: 403,
      expected: { code: 'AssumeRoleDenied', statusCode: 403, hint: [/Principal\.RAM/, /IMM_ROLE_EXTERNAL_ID/] },
    },
    // https://www.alibabacloud.com/help/doc-detail/42775.htm
    {
      text: 'NoPermission (root account)',
      code: 'NoPermission',
      message: 'Roles may not be assumed by root accounts.',
      status: 403,
      expected: { code: 'AssumeRoleDenied', statusCode: 403, hint: [/never with an account's root AccessKey/] },
    },
    // AlibabaCloudDocs/ram intl.zh-CN AssumeRole.md error table: 404.
    {
      text: 'EntityNotExist.Role',
      code: 'EntityNotExist.Role',
      message: 'The specified Role not exists.',
      status: 404,
      expected: { code: 'RoleNotFound', statusCode: 403, hint: [/imm-bridge-operator` must name a role/, /exists in the media account/, /not a user/] },
    },
    // AlibabaCloudDocs/ram AssumeRole.md error table: 400.
    {
      text: 'InvalidParameter.RoleArn',
      code: 'InvalidParameter.RoleArn',
      message: 'The parameter RoleArn is wrongly formed.',
      status: 400,
      expected: { code: 'AssumeRoleFailed', statusCode: 502, hint: [/acs:ram::<media-account-id>:role\/<role-name>/] },
    },
    {
      text: 'InvalidParameter.DurationSeconds',
      code: 'InvalidParameter.DurationSeconds',
      message: 'The Min/Max value of DurationSeconds is 15min/1hr.',
      status: 400,
      expected: { code: 'AssumeRoleFailed', statusCode: 502, hint: [/STS_DURATION_SECONDS/, /MaxSessionDuration/] },
    },
    {
      text: 'InvalidParameter.PolicyGrammar',
      code: 'InvalidParameter.PolicyGrammar',
      message: 'The parameter Policy has not passed grammar check.',
      status: 400,
      expected: { code: 'AssumeRoleFailed', statusCode: 502, hint: [/IMM_SESSION_POLICY=off/] },
    },
    {
      text: 'InvalidParameter.PolicySize',
      code: 'InvalidParameter.PolicySize',
      message: 'The size of Policy must be smaller than 1024 bytes.',
      status: 400,
      expected: { code: 'AssumeRoleFailed', statusCode: 502, hint: [/IMM_SESSION_POLICY=off/] },
    },
    // https://www.alibabacloud.com/help/doc-detail/42775.htm
    {
      text: 'InvalidAccessKeyId.NotFound',
      code: 'InvalidAccessKeyId.NotFound',
      message: 'Specified access key is not found',
      expected: { code: 'StsCredentialsRejected', statusCode: 502, hint: [/function's own credentials/, /STS_ENDPOINT/] },
    },
    {
      text: 'InvalidAccessKeyId.Inactive',
      code: 'InvalidAccessKeyId.Inactive',
      message: 'Specified access key is disabled.',
      expected: { code: 'StsCredentialsRejected', statusCode: 502, hint: [/function's own credentials/] },
    },
    {
      text: 'MissingSecurityToken',
      code: 'MissingSecurityToken',
      message: 'SecurityToken is mandatory for this action.',
      expected: { code: 'StsCredentialsRejected', statusCode: 502 },
    },
    // POP common errors (e.g. Tag 2018-08-28 error codes): 403 InvalidSecurityToken.Expired.
    {
      text: 'InvalidSecurityToken.Expired',
      code: 'InvalidSecurityToken.Expired',
      message: 'Specified SecurityToken is expired.',
      status: 403,
      expected: { code: 'StsCredentialsExpired', statusCode: 503, hint: [/fresh ones with every invocation/] },
    },
    {
      text: 'InvalidSecurityToken.MismatchWithAccessKey',
      code: 'InvalidSecurityToken.MismatchWithAccessKey',
      message: 'Specified SecurityToken mismatch with the AccessKey.',
      status: 400,
      expected: { code: 'StsCredentialsRejected', statusCode: 502 },
    },
    {
      text: 'SignatureDoesNotMatch',
      code: 'SignatureDoesNotMatch',
      message: 'Specified signature is not matched with our calculation.',
      status: 400,
      expected: { code: 'StsCredentialsRejected', statusCode: 502 },
    },
  ])('maps $text', ({ code, message, status, expected }) => {
    // Act
    const error = assumeRoleError(popError(code, message, status), ROLE, true);
    // Assess
    expect(error).toMatchObject({ code: expected.code, statusCode: expected.statusCode });
    expect(error.message).toContain(message);
    for (const pattern of expected.hint ?? []) expect(error.hint).toMatch(pattern);
  });

  it('names the ExternalId only as a possibility to check when none is configured', () => {
    // Act
    const error = assumeRoleError(popError('NoPermission', 'You are not authorized to do this action. You should be authorized by RAM.', 403), ROLE, false);
    // Assess
    expect(error.hint).toMatch(/if the trust policy has an `sts:ExternalId` condition, set IMM_ROLE_EXTERNAL_ID/);
  });

  it('treats a 403 with an unknown code as the same refusal, and Throttling as transient', () => {
    // Act
    const odd = assumeRoleError(popError('Forbidden.Unknown', 'nope', 403), ROLE, true);
    const throttled = assumeRoleError(popError('Throttling.User', 'Request was denied due to user flow control.', 400), ROLE, true);
    // Assess
    expect(odd).toMatchObject({ code: 'AssumeRoleDenied', statusCode: 403, hint: expect.stringContaining('Principal.RAM') });
    expect(throttled).toMatchObject({ code: 'StsUnavailable', statusCode: 503, retryable: true });
  });
});

describe('OSS errors', () => {
  it.each<Case>([
    // https://www.alibabacloud.com/help/en/oss/how-to-troubleshoot-403-status-code-when-you-access-oss, EC 0003-00000001.
    {
      text: 'AccessDenied (bucket acl)',
      code: 'AccessDenied',
      message: 'You have no right to access this object because of bucket acl.',
      status: 403,
      expected: { code: 'OssAccessDenied', statusCode: 403, hint: [/allow the function role `oss:PutObject` on `acs:oss:\*:\*:test-bucket-2024\/results\/\*`/] },
    },
    // https://www.alibabacloud.com/help/en/oss/support/0003-00000201
    {
      text: 'AccessDenied (bucket policy)',
      code: 'AccessDenied',
      message: 'Access denied by bucket policy.',
      status: 403,
      expected: { code: 'OssAccessDenied', statusCode: 403, hint: [/bucket policy of `test-bucket-2024`/, /Deny/] },
    },
    // Legacy OSS error code list (reference/local-stack.md §3.1).
    {
      text: 'NoSuchBucket',
      code: 'NoSuchBucket',
      message: 'The specified bucket does not exist.',
      status: 404,
      expected: { code: 'BucketNotFound', statusCode: 404, hint: [/ALLOWED_BUCKETS/, /REGION/] },
    },
    {
      text: 'NoSuchKey',
      code: 'NoSuchKey',
      message: 'The specified key does not exist.',
      status: 404,
      expected: { code: 'ObjectNotFound', statusCode: 404 },
    },
    // https://www.alibabacloud.com/help/en/oss/the-the-oss-access-key-id-you-provided-does-not-exist-in-our-records-error-message-is-returned
    {
      text: 'InvalidAccessKeyId',
      code: 'InvalidAccessKeyId',
      message: 'The OSS Access Key Id you provided does not exist in our records.',
      status: 403,
      expected: { code: 'OssCredentialsRejected', statusCode: 502, hint: [/security token/] },
    },
    // https://alibabacloud.com/help/en/oss/support/0002-00000007 (message as quoted in developer.aliyun.com/ask/553273).
    {
      text: 'SecurityTokenExpired',
      code: 'SecurityTokenExpired',
      message: 'The security token you provided has expired.',
      status: 403,
      expected: { code: 'OssCredentialsExpired', statusCode: 503, hint: [/retried/] },
    },
    {
      text: 'InvalidSecurityToken',
      code: 'InvalidSecurityToken',
      message: 'The security token you provided is invalid',
      status: 403,
      expected: { code: 'OssCredentialsRejected', statusCode: 502 },
    },
    // https://www.alibabacloud.com/help/doc-detail/42777.htm
    {
      text: 'SignatureDoesNotMatch',
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      status: 403,
      expected: { code: 'OssSignatureMismatch', statusCode: 502, hint: [/normalised the URL after signing/, /InvalidKey/, /OSS_ENDPOINT/] },
    },
    // Issue 11: a 403 whose code the table does not know, but whose message says the signature did not match.
    {
      text: 'an unknown 403 about the signature',
      code: 'SignatureMismatch.V4',
      message: 'The request signature we calculated does not match the signature you provided.',
      status: 403,
      expected: { code: 'OssSignatureMismatch', statusCode: 502, hint: [/normalised the URL/] },
    },
    {
      text: 'an unknown 403 otherwise',
      code: 'Forbidden.Unknown',
      message: 'nope',
      status: 403,
      expected: { code: 'OssAccessDenied', statusCode: 403, hint: [/oss:PutObject/] },
    },
  ])('maps $text', ({ code, message, status, expected }) => {
    // Act
    const error = ossError(ossSdkError(code, message, status ?? 400), 'PutObject', 'test-bucket-2024', 'results/incoming/a.jpg.json');
    // Assess
    expect(error).toMatchObject({ code: expected.code, statusCode: expected.statusCode });
    expect(error.message).toContain(message);
    for (const pattern of expected.hint ?? []) expect(error.hint).toMatch(pattern);
  });
});

describe('IMM errors', () => {
  const context = { action: 'DetectImageScore', projectName: 'immtest', sourceUri: 'oss://test-bucket-2024/incoming/a.jpg' };

  it.each<Case>([
    // https://www.alibabacloud.com/help/en/imm/developer-reference/error-handling-1 (its own example).
    { text: 'InvalidArgument', code: 'InvalidArgument', message: 'The parameter ProjectName is required but not provided.', status: 400, expected: { code: 'ImmRejected', statusCode: 400 } },
    { text: 'Missing{ParameterName}', code: 'MissingSourceURI', message: 'SourceURI is mandatory for this action.', status: 400, expected: { code: 'ImmRejected', statusCode: 400 } },
    { text: 'LimitExceededError', code: 'LimitExceededError', message: 'Message: input quota exceed the max value', status: 400, expected: { code: 'ImmLimitExceeded', statusCode: 429, hint: [/BATCH_CONCURRENCY/] } },
    // Same page: "The specified resource {ResourceType} is not found." (400 there; openapi-core keeps the status).
    { text: 'ResourceNotFound (Project)', code: 'ResourceNotFound', message: 'The specified resource Project is not found.', status: 404, expected: { code: 'ResourceNotFound', statusCode: 404, hint: [/IMM project `immtest`/] } },
    { text: 'ResourceNotFound (Task)', code: 'ResourceNotFound', message: 'The specified resource Task is not found.', status: 400, expected: { code: 'TaskNotFound', statusCode: 404, hint: [/7 days/] } },
    { text: 'ResourceNotFound (OSSObject)', code: 'ResourceNotFound', message: 'The specified resource OSSObject is not found.', status: 400, expected: { code: 'ObjectNotFound', statusCode: 404 } },
    // Field report only (reference/imm-sts.md §6): "File access forbidden." with 400.
    { text: 'File access forbidden', code: 'InvalidArgument', message: 'File access forbidden.', status: 400, expected: { code: 'BucketDeniedImm', statusCode: 403, hint: [/bucket policy of `test-bucket-2024`/, /AliyunIMMDefaultRole/] } },
    // The local IMM's PassRole refusal (IMM's RAM-refusal sentence, then RAM's detail naming the action).
    {
      text: 'AccessDenied (ram:PassRole)',
      code: 'AccessDenied',
      message: `You are not authorized to operate on the specified resources: ${ROLE.replace('acs:ram::', 'arn:sts::').replace(':role/', ':assumed-role/')}/s was denied ram:PassRole on acs:ram::2000000000000002:role/AliyunIMMDefaultRole (ImplicitDeny)`,
      status: 403,
      expected: { code: 'ImmPassRoleDenied', statusCode: 403, hint: [/allow the operator role `acs:ram::2000000000000002:role\/imm-bridge-operator` `ram:PassRole` on `acs:ram::2000000000000002:role\/AliyunIMMDefaultRole`/, /PassImmServiceRole/, /IMM_SERVICE_ROLE/] },
    },
    // Any other RAM refusal keeps naming the imm: action.
    {
      text: 'AccessDenied (imm action)',
      code: 'AccessDenied',
      message: 'You are not authorized to operate on the specified resources: … was denied imm:DetectImageScore on acs:imm:cn-hangzhou:2000000000000002:project/immtest (ImplicitDeny)',
      status: 403,
      expected: { code: 'ImmAccessDenied', statusCode: 403, hint: [/`imm:DetectImageScore`/] },
    },
  ])('maps $text', ({ code, message, status, expected }) => {
    // Act
    const error: AppError = immError(popError(code, message, status), { ...context, operatorRoleArn: ROLE });
    // Assess
    expect(error).toMatchObject({ code: expected.code, statusCode: expected.statusCode });
    for (const pattern of expected.hint ?? []) expect(error.hint).toMatch(pattern);
  });
});

describe('the table', () => {
  it('names a source for every entry, and every documented text (not a template) finds its own entry', () => {
    // Act / Assess
    for (const entry of KNOWN_ERRORS) {
      expect(entry.source).toMatch(/https?:\/\/|AlibabaCloudDocs|reference\/|field report/);
      if (entry.documented.message.includes('{')) continue;
      const code = entry.code.endsWith('*') ? `${entry.code.slice(0, -1)}X` : entry.code;
      expect(findKnownError(entry.service, { code, message: entry.documented.message })).toBe(entry);
    }
  });

  it('prefers an entry whose message pattern matches over the code-only entry', () => {
    // Act
    const root = findKnownError('sts', { code: 'NoPermission', message: 'Roles may not be assumed by root accounts.' });
    const other = findKnownError('sts', { code: 'NoPermission', message: 'anything else' });
    // Assess
    expect(root?.message).toBeDefined();
    expect(other?.message).toBeUndefined();
  });
});
