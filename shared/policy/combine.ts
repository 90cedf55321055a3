// The RAM flows (ref §3): identity-only, OSS (RAM policy and bucket policy unioned, cross-account by bucket policy
// only) and AssumeRole (identity AND trust policy). Each step is evaluated by evaluate.ts and explained by explain.ts.
import { aclStep } from './acl';
import { tracePolicy } from './evaluate';
import { mergeTraces, ruleStep, stepFromTrace, type Step } from './explain';
import { parsePrincipal } from './principal';
import type {
  AssumeRoleAuthorizationInput,
  AuthorizationResult,
  AuthRequest,
  Decision,
  IdentityAuthorizationInput,
  OssAuthorizationInput,
  ParsedPolicy,
  PolicyProblem,
  Reason,
  RequestPrincipal,
} from './types';

export function authorizeIdentity(input: IdentityAuthorizationInput): AuthorizationResult {
  const { request } = input;
  const principal = parsePrincipal(request.principal);
  if (!principal) return invalidPrincipal(request);
  const steps: Step[] = [];
  const allowed = callerIdentity(input, principal, steps);
  return result(allowed.decision, allowed.reasons, steps);
}

/** `reasons` gathers the Allow statements on the way. `final`: a session policy did not allow, which ends the flow. */
interface Outcome {
  decision: Decision;
  reasons: Reason[];
  final?: boolean;
}

/**
 * Session policy (must allow, else final), then identity policies. Roots are not governed by RAM; services and
 * anonymous callers have no RAM policies.
 */
function callerIdentity(input: IdentityAuthorizationInput, principal: RequestPrincipal, steps: Step[]): Outcome {
  const { request } = input;
  if (principal.type === 'root') {
    return push(steps, ruleStep('identity', 'Allow', `\`${request.principal}\` is an account root, which ram policies do not govern`));
  }
  if (principal.type === 'service' || principal.type === 'anonymous') {
    return push(steps, ruleStep('identity', 'ImplicitDeny', `${callerName(principal, request)} has no ram policies`));
  }
  const session = sessionStep(input, steps);
  if (session && session.decision !== 'Allow') return { decision: session.decision, reasons: session.reasons, final: true };
  const identity = push(steps, identityStep(request, input.identityPolicies));
  return identity.decision === 'Allow' ? { decision: 'Allow', reasons: [...(session?.reasons ?? []), ...identity.reasons] } : identity;
}

function sessionStep(input: IdentityAuthorizationInput, steps: Step[]): Step | undefined {
  if (!input.sessionPolicy) return undefined;
  const step = stepFromTrace('session', tracePolicy(input.sessionPolicy, input.request, 'session'), input.request);
  steps.push(step);
  return step;
}

function identityStep(request: AuthRequest, policies: readonly ParsedPolicy[]): Step {
  if (policies.length === 0) {
    return ruleStep('identity', 'ImplicitDeny', `no policy is attached, so nothing allows ${request.action} on ${request.resource}`);
  }
  const traces = policies.map((policy, i) => tracePolicy(policy, request, `identity[${i}]`));
  return stepFromTrace('identity', mergeTraces('identity', traces), request);
}

const OSS_ARN = /^acs:oss:[^:]*:([^:]*):/;

/**
 * OSS (ref §3.3/§3.4). Session policy first. Then, separately:
 * - the RAM step: the owner account's root is allowed; a caller of another account (or an anonymous one) gets an
 *   implicit deny by rule; otherwise the identity policies decide;
 * - the bucket policy (label `resource`), where an unconditioned `*` does not cover the owner's root.
 * Any explicit deny wins, else any Allow (union), else implicit deny. Then, when `input.acl` is given, an implicit
 * deny on a data API is decided by the ACLs (acl.ts).
 */
export function authorizeOss(input: OssAuthorizationInput): AuthorizationResult {
  const { request } = input;
  const principal = parsePrincipal(request.principal);
  if (!principal) return invalidPrincipal(request);
  const arn = OSS_ARN.exec(request.resource);
  if (!arn) {
    const step = ruleStep('identity', 'ImplicitDeny', `\`${request.resource}\` is not an oss arn \`acs:oss:<region>:<owner>:<bucket>[/<key>]\``);
    return result('ImplicitDeny', [], [step]);
  }
  // A service-level resource (`acs:oss:*:*:*`) has no owner: the caller's own RAM policies decide.
  const owner = /^\d+$/.test(arn[1]) ? arn[1] : undefined;
  const steps: Step[] = [];

  const session = principal.type === 'role-session' || principal.type === 'user' ? sessionStep(input, steps) : undefined;
  if (session && session.decision !== 'Allow') return result(session.decision, session.reasons, steps);

  const ram = push(steps, ossRamStep(input, principal, owner));
  const bucket = push(
    steps,
    input.bucketPolicy
      ? stepFromTrace('bucket', tracePolicy(input.bucketPolicy, request, 'resource', owner === undefined ? {} : { ownerAccountId: owner }), request)
      : ruleStep('bucket', 'ImplicitDeny', 'the bucket has no policy'),
  );
  const combined = union([ram, bucket]);
  // Fields spelled out: an object spread here was the costliest line of the OSS flow.
  steps.push({ decision: combined.decision, reasons: combined.reasons, line: unionLine(combined.decision, 'bucket policy') });
  if (input.acl && combined.decision !== 'Allow') {
    // Ref §3.3 steps 5–6: only an implicit deny on a data API reaches the ACLs (acl.ts).
    const acl = push(steps, aclStep(request, input.acl, combined.decision));
    if (acl.decision === 'Allow') return result('Allow', [...(session?.reasons ?? []), ...acl.reasons], steps);
  }
  const reasons = combined.decision === 'Allow' && session ? session.reasons.concat(combined.reasons) : combined.reasons;
  return result(combined.decision, reasons, steps);
}

function unionLine(decision: Decision, resourcePolicy: string): string {
  if (decision === 'ExplicitDeny') return 'result: ExplicitDeny (an explicit deny wins)';
  if (decision === 'Allow') return `result: Allow (ram policies and the ${resourcePolicy} are unioned: one allow suffices)`;
  return `result: ImplicitDeny (neither the ram policies nor the ${resourcePolicy} allow it)`;
}

function ossRamStep(input: OssAuthorizationInput, principal: RequestPrincipal, owner: string | undefined): Step {
  const { request } = input;
  const crossAccount = owner !== undefined && principal.accountId !== owner;
  if (principal.type === 'root') {
    return crossAccount
      ? ruleStep('identity', 'ImplicitDeny', `cross-account callers are granted only by the bucket policy: the bucket belongs to account \`${owner}\``)
      : ruleStep('identity', 'Allow', `\`${request.principal}\` is the owner account's root, which ram policies do not govern`);
  }
  if (principal.type === 'service' || principal.type === 'anonymous') {
    return ruleStep('identity', 'ImplicitDeny', `${callerName(principal, request)} has no ram policies`);
  }
  if (crossAccount) {
    if (input.honourCrossAccountCallerDeny) {
      const own = identityStep(request, input.identityPolicies);
      if (own.decision === 'ExplicitDeny') return { ...own, line: `${own.line} (the caller's own account denies it)` };
    }
    return ruleStep('identity', 'ImplicitDeny', `cross-account callers are granted only by the bucket policy: the bucket belongs to account \`${owner}\``);
  }
  return identityStep(request, input.identityPolicies);
}

/**
 * AssumeRole (ref §3.2, §4): both the caller's identity (after its session policy) and the role's trust policy
 * (label `resource`) must allow; any explicit deny wins. Account roots may not assume roles. A cloud service has no RAM
 * policies, so for a service principal only the trust policy decides.
 */
export function authorizeAssumeRole(input: AssumeRoleAuthorizationInput): AuthorizationResult {
  const { request } = input;
  const principal = parsePrincipal(request.principal);
  if (!principal) return invalidPrincipal(request);
  if (principal.type === 'root') return result('ImplicitDeny', [], [ruleStep('identity', 'ImplicitDeny', 'roles may not be assumed by root accounts')]);
  if (principal.type === 'anonymous') return result('ImplicitDeny', [], [ruleStep('identity', 'ImplicitDeny', 'anonymous callers may not assume roles')]);
  const steps: Step[] = [];
  let caller: Outcome;
  if (principal.type === 'service') {
    steps.push({ decision: 'Allow', reasons: [], line: `identity: skipped (\`${request.principal}\` is a cloud service: only the trust policy decides)` });
    caller = { decision: 'Allow', reasons: [] };
  } else {
    caller = callerIdentity(input, principal, steps);
    if (caller.final) return result(caller.decision, caller.reasons, steps);
  }
  const trust = push(
    steps,
    input.trustPolicy
      ? stepFromTrace('trust', tracePolicy(input.trustPolicy, request, 'resource'), request)
      : ruleStep('trust', 'ImplicitDeny', 'the role has no trust policy'),
  );
  let decision: Decision;
  let reasons: Reason[];
  if (caller.decision === 'ExplicitDeny' || trust.decision === 'ExplicitDeny') {
    decision = 'ExplicitDeny';
    reasons = [caller, trust].filter((s) => s.decision === 'ExplicitDeny').flatMap((s) => s.reasons);
    steps.push({ decision, reasons, line: 'result: ExplicitDeny (an explicit deny wins)' });
  } else if (caller.decision === 'Allow' && trust.decision === 'Allow') {
    decision = 'Allow';
    reasons = [...caller.reasons, ...trust.reasons];
    steps.push({ decision, reasons, line: 'result: Allow (the caller and the trust policy both allow)' });
  } else {
    decision = 'ImplicitDeny';
    reasons = [];
    const failed = [caller.decision !== 'Allow' && "the caller's identity policies", trust.decision !== 'Allow' && 'the trust policy'].filter(Boolean);
    steps.push({ decision, reasons, line: `result: ImplicitDeny (${failed.join(' and ')} did not allow it; both must)` });
  }
  return result(decision, reasons, steps);
}

/**
 * A resource policy other than a bucket or trust policy (the CLI's generic case): the RAM step and the resource policy
 * are unioned, as ref §3.1 step 4 describes.
 */
export function authorizeWithResourcePolicy(input: IdentityAuthorizationInput & { resourcePolicy: ParsedPolicy }): AuthorizationResult {
  const { request } = input;
  const principal = parsePrincipal(request.principal);
  if (!principal) return invalidPrincipal(request);
  const steps: Step[] = [];
  const caller = callerIdentity(input, principal, steps);
  if (caller.final) return result(caller.decision, caller.reasons, steps);
  const resource = push(steps, stepFromTrace('resource', tracePolicy(input.resourcePolicy, request, 'resource'), request));
  const combined = union([caller, resource]);
  steps.push({ decision: combined.decision, reasons: combined.reasons, line: unionLine(combined.decision, 'resource policy') });
  return result(combined.decision, combined.reasons, steps);
}

/** Any explicit deny wins, else any Allow, else implicit deny; the reasons are those of the deciding steps. */
function union(steps: readonly Outcome[]): Outcome {
  // Plain loops: this runs on every OSS request.
  let decision: Decision = 'ImplicitDeny';
  for (const step of steps) {
    if (step.decision === 'ExplicitDeny') decision = 'ExplicitDeny';
    else if (step.decision === 'Allow' && decision === 'ImplicitDeny') decision = 'Allow';
  }
  const reasons: Reason[] = [];
  if (decision !== 'ImplicitDeny') for (const step of steps) if (step.decision === decision) reasons.push(...step.reasons);
  return { decision, reasons };
}

function push(steps: Step[], step: Step): Step {
  steps.push(step);
  return step;
}

function callerName(principal: RequestPrincipal, request: AuthRequest): string {
  return principal.type === 'anonymous' ? 'an anonymous caller' : `\`${request.principal}\`, a cloud service,`;
}

function result(decision: Decision, reasons: Reason[], steps: readonly Step[], errors: PolicyProblem[] = []): AuthorizationResult {
  return { decision, reasons, explanation: steps.map((s) => s.line), errors };
}

function invalidPrincipal(request: AuthRequest): AuthorizationResult {
  const message =
    `principal \`${request.principal}\` must be \`acs:ram::<uid>:root\`, \`acs:ram::<uid>:user/<name>\`, ` +
    '`arn:sts::<uid>:assumed-role/<role>/<session>`, a service name or `anonymous`';
  const step: Step = { decision: 'ImplicitDeny', reasons: [], line: `principal: ImplicitDeny (${message})` };
  return result('ImplicitDeny', [], [step], [{ code: 'InvalidPrincipal', message, path: 'request.principal' }]);
}
