// Evaluation of one policy: keep the statements that apply (action, resource, principal where the kind has one, every
// condition true), then decide by an explicit table: any Deny → ExplicitDeny, else any Allow → Allow, else ImplicitDeny.
// The answer lists the statements that decided it.
import { compilePolicy, type CompiledStatement } from './compile';
import { evaluateConditions } from './conditions';
import { parsePrincipal } from './principal';
import type { AuthRequest, Evaluation, ParsedPolicy, Reason } from './types';
import type { Matcher } from './wildcard';

export interface EvaluateOptions {
  /** The bucket owner's account id, for the rule that an unconditioned `*` does not cover the owner's root (ref §3.4). */
  ownerAccountId?: string;
}

export interface ConditionFailure {
  policy: string;
  statement: number;
  sid?: string;
  /** `StringEquals sts:ExternalId` */
  condition: string;
  /** The request value could not be read (e.g. `abc` for a number), as opposed to a plain mismatch. */
  unevaluable: boolean;
}

/** An Evaluation plus what explanations need to say why nothing allowed. */
export interface Trace extends Evaluation {
  label: string;
  /** Some Allow statement matched the action and resource. */
  allowTargetMatched: boolean;
  /** … and also named the principal (always true when the kind has no Principal). */
  allowPrincipalMatched: boolean;
  /** Conditions that stopped an Allow statement that matched everything else. */
  allowConditionFailures: ConditionFailure[];
  /** Deny statements that applied only because a condition could not be evaluated (fail closed). */
  unevaluableDenies: ConditionFailure[];
}

export function evaluatePolicy(policy: ParsedPolicy, request: AuthRequest, label: string): Evaluation {
  const { decision, reasons } = tracePolicy(policy, request, label);
  return { decision, reasons };
}

export function tracePolicy(policy: ParsedPolicy, request: AuthRequest, label: string, options: EvaluateOptions = {}): Trace {
  const statements = compilePolicy(policy);
  const action = request.action.toLowerCase();
  const principal = policy.kind === 'identity' ? undefined : parsePrincipal(request.principal);
  const exemptOwnerRoot =
    options.ownerAccountId !== undefined && principal?.type === 'root' && principal.accountId === options.ownerAccountId;
  const denies: Reason[] = [];
  const allows: Reason[] = [];
  const trace: Trace = {
    decision: 'ImplicitDeny',
    reasons: [],
    label,
    allowTargetMatched: false,
    allowPrincipalMatched: false,
    allowConditionFailures: [],
    unevaluableDenies: [],
  };
  const resource = request.resource;
  for (const statement of statements) {
    if (!actionMatches(statement, action)) continue;
    if (statement.resources && !anyMatch(statement.resources, resource)) continue;
    const isAllow = statement.effect === 'Allow';
    if (isAllow) trace.allowTargetMatched = true;
    if (statement.principal) {
      // An unreadable caller is named by no statement: an Allow cannot grant it, and a Deny of `*` still covers it.
      if (!principal ? !isWildcardDeny(statement) : !statement.principal(principal, request.principalUid, exemptOwnerRoot)) continue;
    }
    if (isAllow) trace.allowPrincipalMatched = true;
    if (statement.conditions.length > 0) {
      const outcome = evaluateConditions(statement.conditions, request.context);
      if (outcome.result !== true) {
        // No object spread: this runs for every statement whose condition fails, and spreads are slow here.
        const failure: ConditionFailure = { policy: label, statement: statement.index, condition: outcome.failed!.label, unevaluable: outcome.result === 'unevaluable' };
        if (statement.sid !== undefined) failure.sid = statement.sid;
        if (isAllow) {
          trace.allowConditionFailures.push(failure);
          continue;
        }
        if (outcome.result === false) continue;
        // An unevaluable condition on a Deny: the Deny applies. A malformed request must never become an allow.
        trace.unevaluableDenies.push(failure);
      }
    }
    (isAllow ? allows : denies).push(reason(label, statement));
  }
  if (denies.length > 0) {
    trace.decision = 'ExplicitDeny';
    trace.reasons = denies;
  } else if (allows.length > 0) {
    trace.decision = 'Allow';
    trace.reasons = allows;
  }
  return trace;
}

// Plain loops: this is the hot path (every request × every statement), and `some` with a closure allocates.
function anyMatch(matchers: readonly Matcher[], value: string): boolean {
  for (let i = 0; i < matchers.length; i++) if (matchers[i](value)) return true;
  return false;
}

function actionMatches(statement: CompiledStatement, action: string): boolean {
  if (statement.actions) return anyMatch(statement.actions, action);
  if (statement.notActions) return !anyMatch(statement.notActions, action);
  return false;
}

function isWildcardDeny(statement: CompiledStatement): boolean {
  return statement.effect === 'Deny' && statement.principal !== undefined && statement.principal({ type: 'anonymous' }, undefined, false);
}

function reason(label: string, statement: CompiledStatement): Reason {
  return statement.sid !== undefined
    ? { policy: label, statement: statement.index, sid: statement.sid, effect: statement.effect }
    : { policy: label, statement: statement.index, effect: statement.effect };
}
