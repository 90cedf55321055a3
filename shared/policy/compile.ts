// Compiled form of a parsed policy: wildcard matchers, principal matchers and conditions with their values already
// parsed. Compiled once per ParsedPolicy (held weakly) so that evaluation does no parsing at all.
import { compileCondition, type CompiledCondition } from './conditions';
import { compileBucketEntry, compileTrustEntry, type PrincipalMatcher, type TrustPrincipals } from './principal';
import type { Effect, ParsedPolicy, ParsedStatement, RequestPrincipal } from './types';
import { compileWildcard, type Matcher } from './wildcard';

/** Does the statement's Principal name the caller? `exemptOwnerRoot`: the caller is the bucket owner's root. */
export type StatementPrincipalMatcher = (p: RequestPrincipal, uid: string | undefined, exemptOwnerRoot: boolean) => boolean;

export interface CompiledStatement {
  index: number;
  sid?: string;
  effect: Effect;
  /** Lower-cased patterns: actions compare case-insensitively (ref §1.2). */
  actions?: readonly Matcher[];
  notActions?: readonly Matcher[];
  /** Undefined: the statement has no Resource to check (trust policies). */
  resources?: readonly Matcher[];
  /** Undefined: the policy kind has no Principal (identity policies). */
  principal?: StatementPrincipalMatcher;
  conditions: readonly CompiledCondition[];
}

const compiledPolicies = new WeakMap<ParsedPolicy, readonly CompiledStatement[]>();

export function compilePolicy(policy: ParsedPolicy): readonly CompiledStatement[] {
  let compiled = compiledPolicies.get(policy);
  if (!compiled) {
    compiled = policy.statements.map((statement) => compileStatement(statement, policy.kind));
    compiledPolicies.set(policy, compiled);
  }
  return compiled;
}

const lowerMatchers = (patterns: readonly string[]): Matcher[] => patterns.map((p) => compileWildcard(p.toLowerCase()));
const never: StatementPrincipalMatcher = () => false;

function compileStatement(statement: ParsedStatement, kind: ParsedPolicy['kind']): CompiledStatement {
  const conditions = statement.conditions.map(compileCondition);
  return {
    index: statement.index,
    ...(statement.sid !== undefined && { sid: statement.sid }),
    effect: statement.effect,
    ...(statement.actions && { actions: lowerMatchers(statement.actions) }),
    ...(statement.notActions && { notActions: lowerMatchers(statement.notActions) }),
    // A statement without a Resource outside trust policies matches no resource: fail closed for hand-built policies.
    ...(kind !== 'trust' && { resources: (statement.resources ?? []).map((r) => compileWildcard(r)) }),
    ...(kind === 'bucket' && { principal: bucketPrincipal(statement.bucketPrincipals, conditions.length > 0) }),
    ...(kind === 'trust' && { principal: trustPrincipal(statement.trustPrincipals) }),
    conditions,
  };
}

/**
 * Ref §3.4: `*` without a Condition applies to everyone except the bucket owner's root; with a Condition it applies to
 * everyone, owner included. Other entries are matched as they are.
 */
function bucketPrincipal(entries: readonly string[] | undefined, hasCondition: boolean): StatementPrincipalMatcher {
  if (!entries) return never;
  const wildcard = entries.includes('*');
  const others: PrincipalMatcher[] = entries.filter((e) => e !== '*').map(compileBucketEntry);
  return (p, uid, exemptOwnerRoot) => {
    if (wildcard && (hasCondition || !exemptOwnerRoot)) return true;
    return others.some((m) => m(p, uid));
  };
}

function trustPrincipal(principals: ParsedStatement['trustPrincipals']): StatementPrincipalMatcher {
  if (!principals) return never;
  const matchers: PrincipalMatcher[] = [];
  for (const type of ['RAM', 'Service', 'Federated'] as const satisfies readonly (keyof TrustPrincipals)[]) {
    for (const entry of principals[type]) matchers.push(compileTrustEntry(type, entry));
  }
  return (p, uid) => matchers.some((m) => m(p, uid));
}
