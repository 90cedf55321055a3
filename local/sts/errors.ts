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
  ) {
    super(message);
    this.name = 'StsError';
  }
}

/** What the real STS says first when AssumeRole is refused (D-STSERR; the rest of its sentence is truncated in the corpus). */
export const NO_PERMISSION_PREFIX = 'No permission perform sts:AssumeRole on this Role.';

export const stsErrors = {
  rootCaller: () => new StsError(403, 'NoPermission', 'Roles may not be assumed by root accounts.'),
  denied: (principal: string, roleArn: string, decision: string, explanation: readonly string[]) =>
    new StsError(
      403,
      'NoPermission',
      `${NO_PERMISSION_PREFIX} Maybe you are not authorized to do sts:AssumeRole, or the trust policy of the role does not allow you. ` +
        `${principal} was denied sts:AssumeRole on ${roleArn} (${decision}): ${explanation.join('; ')}`,
      explanation,
    ),
  missing: (name: string) => new StsError(400, `Missing${name}`, `${name} is mandatory for this action.`),
  invalid: (name: string, why: string) => new StsError(400, `InvalidParameter.${name}`, `The parameter ${name} is wrongly formed: ${why}.`),
  policySize: (length: number, limit: number) =>
    new StsError(400, 'InvalidParameter.PolicySize', `The parameter Policy must be at most ${limit} characters, it has ${length}.`),
  policyGrammar: (problems: string) => new StsError(400, 'InvalidParameter.PolicyGrammar', `The parameter Policy has not passed grammar check: ${problems}.`),
  roleNotFound: (roleArn: string) => new StsError(404, 'EntityNotExist.Role', `The specified Role not exists: \`${roleArn}\`.`),
  // 404 and the message are POP's for an unknown API.
  unknownAction: (action: string) =>
    new StsError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: action \`${action}\` of STS 2015-04-01.`),
  invalidVersion: (version: string) => new StsError(400, 'InvalidVersion', `Specified parameter Version is not valid: \`${version}\`, STS has 2015-04-01.`),
  invalidServicePrincipal: (principal: string) =>
    new StsError(400, 'InvalidParameter.ServicePrincipal', `The service principal \`${principal}\` must be a service name such as \`fc.aliyuncs.com\`.`),
};
