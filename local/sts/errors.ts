// Typed STS errors. The service throws them; http.ts writes them as the JSON body of reference/imm-sts.md §6.
// Codes and messages follow the STS common-error list (D-STSERR) where it has them; the HTTP statuses of
// AssumeRole errors are UNVERIFIED (reference §7.4), so they follow the POP convention: 400 for a bad
// parameter, 403 for a refused principal, 404 for a missing entity.

export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The policy engine's explanation of a denial, one line per step. */
    readonly explanation: readonly string[] = [],
    readonly accessDeniedDetail?: AccessDeniedDetail,
  ) {
    super(message);
    this.name = 'StsError';
  }
}

/**
 * What STS answers for every refused AssumeRole: 403 NoPermission with this sentence, whether the caller lacks
 * sts:AssumeRole, the trust policy does not list it, or its ExternalId does not satisfy the condition.
 * Sources: AssumeRole API reference, https://www.alibabacloud.com/help/doc-detail/28763.html, and its error table
 * (AlibabaCloudDocs/ram intl.en-US/API Reference (STS)/Operation interfaces/AssumeRole.md: "403 NoPermission").
 */
export const NO_PERMISSION_MESSAGE = 'You are not authorized to do this action. You should be authorized by RAM.';

/**
 * Which side refused, in the shape POP gives it (`AccessDeniedDetail`, read by @alicloud/openapi-core into
 * `error.accessDeniedDetail`; fields as documented for it, e.g. help.aliyun.com/en/agentrun/api-agentrun-2025-09-10-accessdenieddetail).
 * Real STS is not documented to send it (UNVERIFIED): the emulator does, so that a developer can see why. The
 * diagnostic message, opaque in the cloud (RAM DecodeDiagnosticMessage), is base64 of the engine's explanation here.
 */
export interface AccessDeniedDetail {
  AuthAction: string;
  AuthPrincipalDisplayName: string;
  NoPermissionType: string;
  PolicyType: 'IdentityBasedPolicy' | 'ResourceBasedPolicy';
  EncodedDiagnosticMessage: string;
}

export const stsErrors = {
  // https://www.alibabacloud.com/help/doc-detail/42775.htm
  rootCaller: () => new StsError(403, 'NoPermission', 'Roles may not be assumed by root accounts.'),
  denied: (principal: string, decision: string, explanation: readonly string[]) => {
    // The explanation's first line that is not an Allow names the side that refused (shared/policy explain).
    const refused = explanation.find((line) => !/: Allow\b/.test(line)) ?? '';
    const detail: AccessDeniedDetail = {
      AuthAction: 'sts:AssumeRole',
      AuthPrincipalDisplayName: principal,
      NoPermissionType: decision,
      PolicyType: /^trust policy/i.test(refused) ? 'ResourceBasedPolicy' : 'IdentityBasedPolicy',
      EncodedDiagnosticMessage: Buffer.from(explanation.join('\n'), 'utf8').toString('base64'),
    };
    return new StsError(403, 'NoPermission', NO_PERMISSION_MESSAGE, explanation, detail);
  },
  missing: (name: string) => new StsError(400, `Missing${name}`, `${name} is mandatory for this action.`),
  invalid: (name: string, why: string) => new StsError(400, `InvalidParameter.${name}`, `The parameter ${name} is wrongly formed: ${why}.`),
  policySize: (length: number, limit: number) =>
    new StsError(400, 'InvalidParameter.PolicySize', `The parameter Policy must be at most ${limit} characters, it has ${length}.`),
  policyGrammar: (problems: string) => new StsError(400, 'InvalidParameter.PolicyGrammar', `The parameter Policy has not passed grammar check: ${problems}.`),
  // AlibabaCloudDocs/ram intl.zh-CN AssumeRole.md error table: 404 EntityNotExist.Role "The specified Role not exists."
  // The role is the one the caller named, so the sentence stays as documented.
  roleNotFound: () => new StsError(404, 'EntityNotExist.Role', 'The specified Role not exists.'),
  // 404 and the message are POP's for an unknown API.
  unknownAction: (action: string) =>
    new StsError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: action \`${action}\` of STS 2015-04-01.`),
  invalidVersion: (version: string) => new StsError(400, 'InvalidVersion', `Specified parameter Version is not valid: \`${version}\`, STS has 2015-04-01.`),
  invalidServicePrincipal: (principal: string) =>
    new StsError(400, 'InvalidParameter.ServicePrincipal', `The service principal \`${principal}\` must be a service name such as \`fc.aliyuncs.com\`.`),
};
