// Public surface of the RAM policy engine: parse → evaluate → combine, pure functions with no runtime dependencies,
// plus the policy kit built on it: lint and generate.
export { parsePolicy } from './parse';
export { evaluatePolicy } from './evaluate';
export { authorizeAssumeRole, authorizeIdentity, authorizeOss } from './combine';
export { simulate } from './simulate';
export { parsePrincipal } from './principal';
export { matchWildcard } from './wildcard';
export { inferPolicyKind, lintPolicy } from './lint';
export type { Finding, Severity } from './lint';
export { generatePolicies, IMM_OPERATIONS, mnsHttpSubscription, NOTIFICATIONS_PATH } from './generate';
export {
  accountOfRoleArn,
  DEFAULT_IMM_SERVICE_ROLE,
  immGrantStatements,
  immProjectArn,
  immProjectResources,
  immServiceRoleArn,
  OPERATIONS_PASSING_SERVICE_ROLE,
  passesServiceRole,
} from './immGrants';
export type { ImmGrantScope, ImmGrantStatement } from './immGrants';
export type { DeployConfig, GeneratedPolicies, ImmOperation, MnsHttpSubscription, PolicyDocument } from './generate';
export type { ProblemCode } from './problems';
export type * from './types';
