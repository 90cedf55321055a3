// Public surface of the RAM policy engine: parse → evaluate → combine, pure functions with no runtime dependencies.
export { parsePolicy } from './parse';
export { evaluatePolicy } from './evaluate';
export { authorizeAssumeRole, authorizeIdentity, authorizeOss } from './combine';
export { simulate } from './simulate';
export { parsePrincipal } from './principal';
export { matchWildcard } from './wildcard';
export type { ProblemCode } from './problems';
export type * from './types';
