// One human line per evaluation step, e.g. `bucket policy: Allow by Statement[0]` or
// `trust policy: ImplicitDeny (a condition failed: Statement[0] StringEquals sts:ExternalId)`.
import type { ConditionFailure, Trace } from './evaluate';
import type { AuthRequest, Decision, Reason } from './types';

export interface Step {
  decision: Decision;
  reasons: Reason[];
  line: string;
}

export type StepKind = 'session' | 'identity' | 'bucket' | 'trust' | 'resource';

const STEP_NAMES: Record<StepKind, string> = {
  session: 'session policy',
  identity: 'identity',
  bucket: 'bucket policy',
  trust: 'trust policy',
  resource: 'resource policy',
};

/** Identity steps merge several policies, so their lines name the policy of each statement. */
const showPolicy = (kind: StepKind): boolean => kind === 'identity';

export function stepFromTrace(kind: StepKind, trace: Trace, request: AuthRequest): Step {
  return { decision: trace.decision, reasons: trace.reasons, line: `${STEP_NAMES[kind]}: ${describe(kind, trace, request)}` };
}

/** A step decided by a rule rather than by statements, e.g. an account root or a cross-account caller. */
export function ruleStep(kind: StepKind, decision: Decision, why: string): Step {
  return { decision, reasons: [], line: `${STEP_NAMES[kind]}: ${decision} (${why})` };
}

function describe(kind: StepKind, trace: Trace, request: AuthRequest): string {
  const withPolicy = showPolicy(kind);
  if (trace.decision === 'Allow') return `Allow by ${formatReasons(trace.reasons, withPolicy)}`;
  if (trace.decision === 'ExplicitDeny') {
    const unevaluable = trace.unevaluableDenies.length
      ? ` (${trace.unevaluableDenies.map((f) => f.condition).join(', ')} could not be evaluated, so the deny applies)`
      : '';
    return `ExplicitDeny by ${formatReasons(trace.reasons, withPolicy)}${unevaluable}`;
  }
  if (!trace.allowTargetMatched) return `ImplicitDeny (no statement allows ${request.action} on ${request.resource})`;
  if (!trace.allowPrincipalMatched) {
    return kind === 'trust'
      ? `ImplicitDeny (principal ${request.principal} is not trusted)`
      : `ImplicitDeny (no statement that allows ${request.action} names principal ${request.principal})`;
  }
  const failed = trace.allowConditionFailures.filter((f) => !f.unevaluable);
  const unevaluable = trace.allowConditionFailures.filter((f) => f.unevaluable);
  const parts: string[] = [];
  if (failed.length) parts.push(`a condition failed: ${formatFailures(failed, withPolicy)}`);
  if (unevaluable.length) parts.push(`a request value could not be read: ${formatFailures(unevaluable, withPolicy)}`);
  return `ImplicitDeny (${parts.join('; ')})`;
}

export function formatReasons(reasons: readonly Reason[], withPolicy: boolean): string {
  return reasons.map((r) => statementName(r.policy, r.statement, r.sid, withPolicy)).join(', ');
}

function formatFailures(failures: readonly ConditionFailure[], withPolicy: boolean): string {
  return failures.map((f) => `${statementName(f.policy, f.statement, f.sid, withPolicy)} ${f.condition}`).join(', ');
}

function statementName(policy: string, statement: number, sid: string | undefined, withPolicy: boolean): string {
  return `${withPolicy ? `${policy} ` : ''}Statement[${statement}]${sid !== undefined ? ` (\`${sid}\`)` : ''}`;
}

/** Merges the traces of several policies evaluated as one set: any Deny, else any Allow, else ImplicitDeny. */
export function mergeTraces(label: string, traces: readonly Trace[]): Trace {
  if (traces.length === 1) return traces[0];
  const denies = traces.filter((t) => t.decision === 'ExplicitDeny');
  const allows = traces.filter((t) => t.decision === 'Allow');
  const decided = denies.length ? denies : allows;
  return {
    decision: denies.length ? 'ExplicitDeny' : allows.length ? 'Allow' : 'ImplicitDeny',
    reasons: decided.flatMap((t) => t.reasons),
    label,
    allowTargetMatched: traces.some((t) => t.allowTargetMatched),
    allowPrincipalMatched: traces.some((t) => t.allowPrincipalMatched),
    allowConditionFailures: traces.flatMap((t) => t.allowConditionFailures),
    unevaluableDenies: denies.flatMap((t) => t.unevaluableDenies),
  };
}
