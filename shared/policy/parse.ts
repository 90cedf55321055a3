// parsePolicy: JSON (object or text) → ParsedPolicy, or every problem found, each with a code and a path such as
// `Statement[1].Condition.IpAddress`. It fails closed: an element, operator or value it does not understand is an
// error, never ignored, because an ignored Deny is an allow.
import { parseCondition } from './conditions';
import { describeType, isPlainObject, join, Problems, stringList } from './problems';
import { parseBucketPrincipal, parseTrustPrincipal } from './principal';
import type { Effect, ParsedCondition, ParsedPolicy, ParsedStatement, ParseResult, PolicyKind } from './types';

const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust'];
const TOP_LEVEL = ['Version', 'Statement'];
// `NotResource` is deliberately absent. RAM's element reference lists only `Resource`; one localized copy of the syntax
// page mentions `NotResource`, nothing documents how it is evaluated (ref §1.1, UNVERIFIED). Guessing its meaning could
// turn a Deny into a no-op, so it is refused with its own code until RAM documents it.
const STATEMENT_ELEMENTS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'Principal', 'Condition'];
const ACTION = /^(\*|[^\s:]+:\S+)$/;
const RESOURCE = /^(\*|acs:\S*)$/;

export function parsePolicy(doc: unknown, kind: PolicyKind): ParseResult {
  const problems = new Problems();
  if (!KINDS.includes(kind)) {
    problems.add('InvalidKind', '', `policy kind \`${String(kind)}\` must be \`identity\`, \`bucket\` or \`trust\``);
    return { ok: false, problems: problems.list };
  }
  let value = doc;
  if (typeof doc === 'string') {
    try {
      value = JSON.parse(doc);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.add('InvalidJson', '', `policy is not valid json: ${reason.charAt(0).toLowerCase()}${reason.slice(1).replace(/\.$/, '')}`);
      return { ok: false, problems: problems.list };
    }
  }
  if (!isPlainObject(value)) {
    problems.add('InvalidType', '', `policy must be a json object, not ${describeType(value)}`);
    return { ok: false, problems: problems.list };
  }
  unknownElements(value, TOP_LEVEL, '', problems);
  if (!has(value, 'Version')) problems.add('MissingVersion', 'Version', 'policy must have `"Version": "1"`');
  else if (value.Version !== '1') problems.add('InvalidVersion', 'Version', `version must be the string \`"1"\`, not \`${JSON.stringify(value.Version)}\``);
  const statements = parseStatements(value, kind, problems);
  if (!problems.empty || !statements) return { ok: false, problems: problems.list };
  const policy: ParsedPolicy = { kind, statements, source: doc };
  return { ok: true, policy, problems: [] };
}

function parseStatements(doc: Record<string, unknown>, kind: PolicyKind, problems: Problems): ParsedStatement[] | undefined {
  if (!has(doc, 'Statement')) {
    problems.add('MissingStatement', 'Statement', 'policy must have a `Statement` element');
    return undefined;
  }
  const raw = doc.Statement;
  if (isPlainObject(raw)) return collect([parseStatement(raw, 0, 'Statement', kind, problems)]);
  if (!Array.isArray(raw)) {
    problems.add('InvalidType', 'Statement', `statement must be an object or an array of objects, not ${describeType(raw)}`);
    return undefined;
  }
  return collect(raw.map((item, i) => parseStatement(item, i, `Statement[${i}]`, kind, problems)));
}

function collect(statements: (ParsedStatement | undefined)[]): ParsedStatement[] | undefined {
  return statements.every((s) => s !== undefined) ? (statements as ParsedStatement[]) : undefined;
}

function parseStatement(raw: unknown, index: number, path: string, kind: PolicyKind, problems: Problems): ParsedStatement | undefined {
  if (!isPlainObject(raw)) {
    problems.add('InvalidType', path, `statement must be an object, not ${describeType(raw)}`);
    return undefined;
  }
  const before = problems.list.length;
  unknownElements(raw, STATEMENT_ELEMENTS, path, problems, ['NotResource']);

  let sid: string | undefined;
  if (has(raw, 'Sid')) {
    if (typeof raw.Sid === 'string') sid = raw.Sid;
    else problems.add('InvalidType', join(path, 'Sid'), `sid must be a string, not ${describeType(raw.Sid)}`);
  }

  const effect = parseEffect(raw, path, problems);
  const { actions, notActions } = parseActions(raw, path, problems);
  const resources = parseResources(raw, path, kind, problems);

  let bucketPrincipals: string[] | undefined;
  let trustPrincipals: ParsedStatement['trustPrincipals'];
  const principalPath = join(path, 'Principal');
  if (kind === 'identity') {
    if (has(raw, 'Principal')) problems.add('PrincipalNotAllowed', principalPath, 'an identity policy must not have a `Principal` element');
  } else if (!has(raw, 'Principal')) {
    problems.add('MissingPrincipal', principalPath, `a ${kind} policy statement must have a \`Principal\` element`);
  } else if (kind === 'bucket') {
    bucketPrincipals = parseBucketPrincipal(raw.Principal, principalPath, problems);
  } else {
    trustPrincipals = parseTrustPrincipal(raw.Principal, principalPath, problems);
  }

  const conditions = has(raw, 'Condition') ? parseCondition(raw.Condition, join(path, 'Condition'), problems) : [];
  if (kind === 'bucket' && conditions) requireSourceVpc(conditions, join(path, 'Condition'), problems);

  if (problems.list.length > before || !effect || !conditions) return undefined;
  return {
    index,
    ...(sid !== undefined && { sid }),
    effect,
    ...(actions && { actions }),
    ...(notActions && { notActions }),
    ...(resources && { resources }),
    ...(bucketPrincipals && { bucketPrincipals }),
    ...(trustPrincipals && { trustPrincipals }),
    conditions,
  };
}

function parseEffect(raw: Record<string, unknown>, path: string, problems: Problems): Effect | undefined {
  const effectPath = join(path, 'Effect');
  if (!has(raw, 'Effect')) {
    problems.add('MissingEffect', effectPath, 'statement must have an `Effect` element');
    return undefined;
  }
  if (raw.Effect === 'Allow' || raw.Effect === 'Deny') return raw.Effect;
  const hint = typeof raw.Effect === 'string' && /^(allow|deny)$/i.test(raw.Effect) ? ' (effect values are case-sensitive)' : '';
  problems.add('InvalidEffect', effectPath, `effect must be \`Allow\` or \`Deny\`, not \`${JSON.stringify(raw.Effect)}\`${hint}`);
  return undefined;
}

function parseActions(raw: Record<string, unknown>, path: string, problems: Problems): { actions?: string[]; notActions?: string[] } {
  const hasAction = has(raw, 'Action');
  const hasNotAction = has(raw, 'NotAction');
  if (hasAction && hasNotAction) {
    problems.add('ActionAndNotAction', path, 'statement must have exactly one of `Action` and `NotAction`, not both');
    return {};
  }
  if (!hasAction && !hasNotAction) {
    problems.add('MissingAction', path, 'statement must have an `Action` or a `NotAction` element');
    return {};
  }
  const element = hasAction ? 'Action' : 'NotAction';
  const elementPath = join(path, element);
  const values = stringList(raw[element], elementPath, 'action', problems);
  if (!values) return {};
  values.forEach((action, i) => {
    if (!ACTION.test(action)) {
      const at = Array.isArray(raw[element]) ? `${elementPath}[${i}]` : elementPath;
      problems.add('InvalidAction', at, `action \`${action}\` must be \`*\` or \`<service>:<action>\`, such as \`oss:GetObject\``);
    }
  });
  return hasAction ? { actions: values } : { notActions: values };
}

function parseResources(raw: Record<string, unknown>, path: string, kind: PolicyKind, problems: Problems): string[] | undefined {
  const resourcePath = join(path, 'Resource');
  if (has(raw, 'NotResource')) {
    problems.add('NotResourceNotSupported', join(path, 'NotResource'), '`NotResource` is not in the ram policy element reference: list the resources in `Resource`');
  }
  if (kind === 'trust') {
    if (has(raw, 'Resource')) problems.add('ResourceNotAllowed', resourcePath, 'a trust policy must not have a `Resource` element: the role itself is the resource');
    return undefined;
  }
  if (!has(raw, 'Resource')) {
    if (!has(raw, 'NotResource')) problems.add('MissingResource', resourcePath, `a ${kind} policy statement must have a \`Resource\` element`);
    return undefined;
  }
  const values = stringList(raw.Resource, resourcePath, 'resource', problems);
  if (!values) return undefined;
  values.forEach((resource, i) => {
    if (!RESOURCE.test(resource)) {
      const at = Array.isArray(raw.Resource) ? `${resourcePath}[${i}]` : resourcePath;
      problems.add('InvalidResource', at, `resource \`${resource}\` must be \`*\` or an arn such as \`acs:oss:*:<uid>:<bucket>/<key>\``);
    }
  });
  return values;
}

/**
 * OSS refuses a new or changed bucket policy whose statement uses `acs:SourceIp` without `acs:SourceVpc` (error
 * 0030-00000008, ref §3.4): VPC traffic never carries a public source ip, so an ip rule alone is easy to misread.
 */
function requireSourceVpc(conditions: readonly ParsedCondition[], path: string, problems: Problems): void {
  const uses = (key: string): boolean => conditions.some((c) => c.key.toLowerCase() === key);
  if (uses('acs:sourceip') && !uses('acs:sourcevpc')) {
    problems.add('SourceIpWithoutSourceVpc', path, 'a bucket policy statement that uses `acs:SourceIp` must also use `acs:SourceVpc` (oss error 0030-00000008)');
  }
}

/** Present and not `undefined`: a JS caller's `{Condition: undefined}` means no Condition, as JSON would have it. */
function has(raw: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(raw, key) && raw[key] !== undefined;
}

function unknownElements(raw: Record<string, unknown>, known: readonly string[], path: string, problems: Problems, reportedElsewhere: readonly string[] = []): void {
  for (const key of Object.keys(raw)) {
    if (known.includes(key) || reportedElsewhere.includes(key) || raw[key] === undefined) continue;
    const spelled = known.find((k) => k.toLowerCase() === key.toLowerCase());
    const hint = spelled ? `: element names are case-sensitive, did you mean \`${spelled}\`?` : '';
    problems.add('UnknownElement', join(path, key), `unknown element \`${key}\`${hint}`);
  }
}
