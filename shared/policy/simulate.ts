// `policy simulate`: raw documents in, a decision out. Every document is parsed first, and any problem makes the answer
// ImplicitDeny with the problems listed: a policy that cannot be read never takes part in a decision (fail closed).
import { BUCKET_ACLS, isBucketAcl, isObjectAcl, OBJECT_ACLS } from './acl';
import { authorizeAssumeRole, authorizeIdentity, authorizeOss, authorizeWithResourcePolicy } from './combine';
import { parsePolicy } from './parse';
import { describeType, isPlainObject, Problems } from './problems';
import type { AuthorizationResult, AuthRequest, OssAcls, ParsedPolicy, PolicyKind, SimulationInput } from './types';

export function simulate(input: SimulationInput): AuthorizationResult {
  const problems = new Problems();
  const request = checkRequest(isPlainObject(input) ? input.request : undefined, problems);
  if (!isPlainObject(input) || !request) return failed(problems);

  const isAssumeRole = request.action.toLowerCase() === 'sts:assumerole';
  const parse = (doc: unknown, kind: PolicyKind, path: string): ParsedPolicy | undefined => {
    const parsed = parsePolicy(doc, kind);
    if (parsed.ok) return parsed.policy;
    for (const p of parsed.problems) problems.list.push({ ...p, path: p.path === '' ? path : `${path}.${p.path}` });
    return undefined;
  };

  let identityPolicies: ParsedPolicy[] = [];
  if (Array.isArray(input.identityPolicies)) {
    identityPolicies = input.identityPolicies.map((doc, i) => parse(doc, 'identity', `identityPolicies[${i}]`)).filter((p) => p !== undefined);
  } else if (input.identityPolicies !== undefined) {
    problems.add('InvalidRequest', 'identityPolicies', `identity policies must be an array, not ${describeType(input.identityPolicies)}`);
  }
  // Session policies are identity-style documents: no Principal.
  const sessionPolicy = input.sessionPolicy == null ? undefined : parse(input.sessionPolicy, 'identity', 'sessionPolicy');
  const resourcePolicy = input.resourcePolicy == null ? null : parse(input.resourcePolicy, isAssumeRole ? 'trust' : 'bucket', 'resourcePolicy');
  const isOss = request.action.toLowerCase().startsWith('oss:');
  const acl = input.acl == null ? undefined : checkAcl(input.acl, isOss, problems);
  if (!problems.empty) return failed(problems);

  const base = { request, identityPolicies, ...(sessionPolicy && { sessionPolicy }) };
  if (isAssumeRole) return authorizeAssumeRole({ ...base, trustPolicy: resourcePolicy ?? null });
  if (isOss) return authorizeOss({ ...base, bucketPolicy: resourcePolicy ?? null, ...(acl && { acl }) });
  return resourcePolicy ? authorizeWithResourcePolicy({ ...base, resourcePolicy }) : authorizeIdentity(base);
}

/** `{bucket, object?}` with known ACL names; ACLs exist only in the OSS flow, so any other action refuses them. */
function checkAcl(raw: unknown, isOss: boolean, problems: Problems): OssAcls | undefined {
  if (!isOss) {
    problems.add('InvalidRequest', 'acl', 'acl applies to oss actions only');
    return undefined;
  }
  if (!isPlainObject(raw)) {
    problems.add('InvalidRequest', 'acl', `acl must be an object with \`bucket\` and optionally \`object\`, not ${describeType(raw)}`);
    return undefined;
  }
  if (!isBucketAcl(raw.bucket)) problems.add('InvalidRequest', 'acl.bucket', `bucket acl must be one of ${BUCKET_ACLS.join(', ')}, not \`${String(raw.bucket)}\``);
  if (raw.object !== undefined && !isObjectAcl(raw.object)) {
    problems.add('InvalidRequest', 'acl.object', `object acl must be one of ${OBJECT_ACLS.join(', ')}, not \`${String(raw.object)}\``);
  }
  for (const key of Object.keys(raw)) if (key !== 'bucket' && key !== 'object') problems.add('InvalidRequest', `acl.${key}`, `unknown acl field \`${key}\``);
  return raw as unknown as OssAcls;
}

function failed(problems: Problems): AuthorizationResult {
  return {
    decision: 'ImplicitDeny',
    reasons: [],
    explanation: [`input: ImplicitDeny (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'} found, nothing was evaluated)`],
    errors: problems.list,
  };
}

function checkRequest(raw: unknown, problems: Problems): AuthRequest | undefined {
  if (!isPlainObject(raw)) {
    problems.add('InvalidRequest', 'request', `request must be an object with \`principal\`, \`action\` and \`resource\`, not ${describeType(raw)}`);
    return undefined;
  }
  for (const field of ['principal', 'action', 'resource'] as const) {
    if (typeof raw[field] !== 'string') problems.add('InvalidRequest', `request.${field}`, `${field} must be a string, not ${describeType(raw[field])}`);
  }
  if (raw.principalUid !== undefined && typeof raw.principalUid !== 'string') {
    problems.add('InvalidRequest', 'request.principalUid', `principal uid must be a string, not ${describeType(raw.principalUid)}`);
  }
  const context = raw.context;
  if (context !== undefined) {
    if (!isPlainObject(context)) {
      problems.add('InvalidRequest', 'request.context', `context must be an object, not ${describeType(context)}`);
    } else {
      for (const [key, value] of Object.entries(context)) {
        const ok = value === undefined || typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
        if (!ok) problems.add('InvalidRequest', `request.context.${key}`, `context values must be strings or arrays of strings, not ${describeType(value)}`);
      }
    }
  }
  return problems.empty ? (raw as unknown as AuthRequest) : undefined;
}
