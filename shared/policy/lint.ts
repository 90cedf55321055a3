// `policy lint`: every problem parse rejects (errors), plus the mistakes parse accepts but that break or over-grant
// the cross-account flow (mostly warnings). Modelled on Access Analyzer's validate-policy and Parliament.
//
// The lint rules read the raw document leniently, statement by statement, so that one broken statement does not hide
// the findings of the others: a user fixes everything in one round.
import { canonicalAction, CATALOGUED_SERVICES, catalogueActions, ossResourceLevel } from './catalogue';
import { parsePolicy } from './parse';
import { isPlainObject } from './problems';
import type { Effect, PolicyKind } from './types';
import { matchWildcard } from './wildcard';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  /** Where, as `Statement[1].Resource[0]`; `''` is the whole document. */
  path: string;
}

/**
 * Ref §1.4. RAM custom policies: 6,144 characters. Bucket policies: under 16 KB (error 0030-00000001). The trust-policy
 * limit is not documented (UNVERIFIED), so the RAM policy limit is applied.
 */
export const SIZE_LIMITS: Readonly<Record<PolicyKind, number>> = { identity: 6144, trust: 6144, bucket: 16 * 1024 };

/** Ref §1.4: one field of a bucket policy, usually a statement, may hold at most 4,095 bytes (error 0030-00000003). */
export const BUCKET_STATEMENT_LIMIT = 4095;

// `acs:<service>:<region>:<account>:<relative-id>`; the relative id may itself contain `:` and `/` (ref §7 M7).
const ARN = /^acs:([a-z0-9-]+|\*):([a-z0-9*-]*):([0-9*?]*):(.+)$/;
// Strings parse already refuses as resources (InvalidResource): not re-reported here.
const RESOURCE_SHAPE = /^(\*|acs:\S*)$/;

export function lintPolicy(doc: unknown, kind: PolicyKind): Finding[] {
  const findings: Finding[] = [];
  const parsed = parsePolicy(doc, kind);
  const value = typeof doc === 'string' ? readJson(doc) : doc;
  // Unreadable JSON is already an error; its size means nothing.
  if (value !== undefined) findings.push(...lintSize(doc, value, kind));
  for (const p of parsed.problems) findings.push({ severity: 'error', code: p.code, message: p.message, path: p.path });
  if (!isPlainObject(value)) return findings;
  const statements = rawStatements(value.Statement);
  if (Array.isArray(value.Statement) && value.Statement.length === 0) {
    findings.push(warning('NoStatements', 'Statement', 'the policy has no statements, so it allows nothing'));
  }
  const sids = new Map<string, string>();
  for (const s of statements) {
    if (typeof s.raw.Sid === 'string') {
      const first = sids.get(s.raw.Sid);
      if (first !== undefined) findings.push(warning('DuplicateSid', `${s.at}.Sid`, `sid \`${s.raw.Sid}\` is already used by \`${first}\`: reasons would name two statements alike`));
      else sids.set(s.raw.Sid, s.at);
    }
    findings.push(...lintActions(s, kind), ...lintResources(s), ...lintResourceLevels(s), ...lintPrincipal(s, kind));
    if (kind === 'bucket') findings.push(...lintStatementSize(s));
  }
  return findings;
}

/**
 * The kind a document most likely is, for `policy lint` without `--kind`: a Principal object (`{"RAM": …}`,
 * `{"Service": …}`) means a trust policy, a Principal array or string a bucket policy, no Principal an identity policy.
 */
export function inferPolicyKind(doc: unknown): PolicyKind {
  const value = typeof doc === 'string' ? readJson(doc) : doc;
  if (!isPlainObject(value)) return 'identity';
  for (const { raw } of rawStatements(value.Statement)) {
    if (!present(raw, 'Principal')) continue;
    return isPlainObject(raw.Principal) ? 'trust' : 'bucket';
  }
  return 'identity';
}

// ---- reading the raw document ----

interface RawStatement {
  /** `Statement` for a single statement object, else `Statement[i]`, as parse names them. */
  at: string;
  raw: Record<string, unknown>;
  /** Undefined when the Effect is missing or invalid (parse reports it): effect-specific rules then stay silent. */
  effect?: Effect;
}

interface Located {
  value: string;
  path: string;
}

function readJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function rawStatements(statement: unknown): RawStatement[] {
  const make = (raw: unknown, at: string): RawStatement[] => {
    if (!isPlainObject(raw)) return [];
    const effect = raw.Effect === 'Allow' || raw.Effect === 'Deny' ? raw.Effect : undefined;
    return [{ at, raw, ...(effect && { effect }) }];
  };
  if (isPlainObject(statement)) return make(statement, 'Statement');
  if (!Array.isArray(statement)) return [];
  return statement.flatMap((raw, i) => make(raw, `Statement[${i}]`));
}

/** The strings of an element that is a string or an array, each with its path; anything else parse reports. */
function strings(raw: Record<string, unknown>, key: string, at: string): Located[] {
  const value = raw[key];
  if (typeof value === 'string') return [{ value, path: `${at}.${key}` }];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i) => (typeof item === 'string' ? [{ value: item, path: `${at}.${key}[${i}]` }] : []));
}

/** Present and not `undefined`, as parse reads elements: a JS caller's `{Action: undefined}` has no Action. */
function present(raw: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(raw, key) && raw[key] !== undefined;
}

function hasCondition(raw: Record<string, unknown>): boolean {
  return isPlainObject(raw.Condition) && Object.keys(raw.Condition).length > 0;
}

const warning = (code: string, path: string, message: string): Finding => ({ severity: 'warning', code, message, path });
const error = (code: string, path: string, message: string): Finding => ({ severity: 'error', code, message, path });

// ---- size ----

function lintSize(doc: unknown, value: unknown, kind: PolicyKind): Finding[] {
  const limit = SIZE_LIMITS[kind];
  const unit = kind === 'bucket' ? 'bytes' : 'characters';
  const measure = (text: string): number => (kind === 'bucket' ? utf8Length(text) : codePoints(text));
  const minified = JSON.stringify(value) as string | undefined;
  if (minified === undefined) return [];
  const size = measure(minified);
  // Bucket policies must stay under 16 KB; RAM policies may use all 6,144 characters.
  const over = kind === 'bucket' ? size >= limit : size > limit;
  const allowed = kind === 'bucket' ? `under ${limit} ${unit}` : `at most ${limit} ${unit}`;
  if (over) return [error('PolicyTooLarge', '', `the policy is ${size} ${unit} without whitespace: a ${kind} policy must be ${allowed}`)];
  if (typeof doc === 'string') {
    const written = measure(doc);
    if (kind === 'bucket' ? written >= limit : written > limit) {
      return [warning('PolicyTooLargeAsWritten', '', `the policy is ${written} ${unit} as written (${size} without whitespace): remove the whitespace before you upload it`)];
    }
  }
  return [];
}

function lintStatementSize(s: RawStatement): Finding[] {
  const size = utf8Length(JSON.stringify(s.raw));
  if (size <= BUCKET_STATEMENT_LIMIT) return [];
  return [error('StatementTooLarge', s.at, `the statement is ${size} bytes: one statement of a bucket policy may hold at most ${BUCKET_STATEMENT_LIMIT} bytes (oss error 0030-00000003)`)];
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
    n++;
  }
  return n;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// ---- actions ----

function lintActions(s: RawStatement, kind: PolicyKind): Finding[] {
  const findings: Finding[] = [];
  const actions = strings(s.raw, 'Action', s.at);
  const notActions = strings(s.raw, 'NotAction', s.at);
  if (s.effect === 'Allow' && present(s.raw, 'NotAction') && !present(s.raw, 'Action')) {
    findings.push(warning('AllowWithNotAction', `${s.at}.NotAction`, 'an Allow with `NotAction` grants every action it does not list, including actions added later: list the actions in `Action`'));
  }
  for (const { value: action, path } of actions) {
    if (action === '*' || action === '*:*') {
      if (s.effect === 'Allow') findings.push(warning('OverBroadAction', path, `action \`${action}\` allows every action of every service: list the actions the principal needs`));
      continue;
    }
    findings.push(...lintCatalogue(action, path));
    if (kind === 'trust' && !matchWildcard(action, 'sts:AssumeRole', true)) {
      findings.push(warning('TrustPolicyAction', path, `a trust policy governs only \`sts:AssumeRole\`: action \`${action}\` never applies`));
    }
  }
  for (const { value: action, path } of notActions) if (action !== '*') findings.push(...lintCatalogue(action, path));
  return findings;
}

function lintCatalogue(action: string, path: string): Finding[] {
  const colon = action.indexOf(':');
  if (colon < 0) return []; // parse reports InvalidAction
  const service = action.slice(0, colon).toLowerCase();
  // Other services are not catalogued: an action of theirs is neither known nor unknown.
  if (!(CATALOGUED_SERVICES as readonly string[]).includes(service)) return [];
  if (action.includes('*') || action.includes('?')) {
    if (catalogueActions().some((known) => matchWildcard(action, known, true))) return [];
    return [warning('UnknownAction', path, `action pattern \`${action}\` matches no known ${service} action`)];
  }
  const canonical = canonicalAction(action);
  if (!canonical) return [warning('UnknownAction', path, `action \`${action}\` is not a known ${service} action: check its spelling`)];
  if (canonical !== action) {
    return [warning('NonCanonicalAction', path, `action \`${action}\` is spelled \`${canonical}\`: actions match case-insensitively, but the canonical spelling avoids surprises`)];
  }
  return [];
}

// ---- resources ----

interface OssArn {
  region: string;
  account: string;
  relative: string;
  bucket: string;
}

function ossArn(resource: string): OssArn | undefined {
  const m = ARN.exec(resource);
  if (!m || m[1] !== 'oss') return undefined;
  const relative = m[4];
  const slash = relative.indexOf('/');
  return { region: m[2], account: m[3], relative, bucket: slash < 0 ? relative : relative.slice(0, slash) };
}

function lintResources(s: RawStatement): Finding[] {
  const findings: Finding[] = [];
  const allowsAllOss = s.effect === 'Allow' && strings(s.raw, 'Action', s.at).some((a) => a.value.toLowerCase() === 'oss:*');
  for (const { value: resource, path } of strings(s.raw, 'Resource', s.at)) {
    if (!RESOURCE_SHAPE.test(resource)) continue;
    if (resource === '*') {
      if (allowsAllOss) findings.push(warning('OverBroadResource', path, '`oss:*` on resource `*` grants every action on every bucket and object: name the bucket and the actions'));
      continue;
    }
    if (!ARN.test(resource)) {
      findings.push(error('MalformedArn', path, `resource \`${resource}\` is not an arn \`acs:<service>:<region>:<account-id>:<relative-id>\`, such as \`acs:oss:*:<uid>:<bucket>/<key>\``));
      continue;
    }
    const arn = ossArn(resource);
    if (!arn) continue;
    if (arn.region !== '*') {
      findings.push(error('OssRegionNotWildcard', path, `the region of an oss arn can only be \`*\`, not \`${arn.region}\`: write \`acs:oss:*:${arn.account}:${arn.relative}\``));
    }
    if (s.effect !== 'Allow') continue;
    if (arn.relative === '*' && allowsAllOss) {
      findings.push(warning('OverBroadResource', path, `\`oss:*\` on \`${resource}\` grants every action on every bucket and object: name the bucket and the actions`));
    } else if (arn.bucket !== '*' && /[*?]/.test(arn.bucket)) {
      findings.push(warning('OverBroadBucketPattern', path, `bucket pattern \`${arn.bucket}\` also matches other buckets and their objects: name the bucket, then \`/\``));
    }
  }
  return findings;
}

/**
 * Ref §1.3 and §7 M5/M6: a bucket-level action needs the bucket ARN (`bkt`) and an object action an object ARN
 * (`bkt/*`). `/` is literal in patterns, so a pattern with a `/` never matches a bucket, and one with neither `/` nor
 * `*` never matches an object. Only flagged when no resource of the statement fits the action.
 */
function lintResourceLevels(s: RawStatement): Finding[] {
  const resources = strings(s.raw, 'Resource', s.at).map((r) => r.value);
  if (resources.includes('*')) return [];
  const arns = resources.map(ossArn).filter((a) => a !== undefined);
  if (arns.length === 0) return [];
  const fitsBucket = arns.some((a) => !a.relative.includes('/'));
  const fitsObject = arns.some((a) => a.relative.includes('/') || a.relative.includes('*'));
  const findings: Finding[] = [];
  for (const { value: action, path } of strings(s.raw, 'Action', s.at)) {
    const level = ossResourceLevel(action);
    if (level === 'bucket' && !fitsBucket) {
      const bucket = arns[0];
      findings.push(warning('BucketActionOnObjectArn', path, `\`${action}\` is a bucket-level action: no resource of this statement is a bucket arn, so it never applies; add \`acs:oss:*:${bucket.account}:${bucket.bucket}\``));
    } else if (level === 'object' && !fitsObject) {
      const bucket = arns[0];
      findings.push(warning('ObjectActionOnBucketArn', path, `\`${action}\` is an object-level action: no resource of this statement is an object arn, so it never applies; add \`acs:oss:*:${bucket.account}:${bucket.bucket}/*\``));
    }
  }
  return findings;
}

// ---- principals ----

function lintPrincipal(s: RawStatement, kind: PolicyKind): Finding[] {
  if (kind === 'identity' || !present(s.raw, 'Principal')) return [];
  const path = `${s.at}.Principal`;
  const principal = s.raw.Principal;
  const findings: Finding[] = [];
  if (s.effect === 'Allow' && !hasCondition(s.raw) && isPublic(principal, kind)) {
    const who = kind === 'bucket' ? 'anyone, anonymous callers included,' : 'any account or service';
    findings.push(warning('PublicPrincipal', path, `principal \`*\` without a \`Condition\` lets ${who} use this statement: name the principals, or add a condition`));
  }
  if (kind === 'bucket' && s.effect === 'Allow') {
    const owners = new Set(strings(s.raw, 'Resource', s.at).map((r) => ossArn(r.value)?.account).filter((a) => a && /^\d+$/.test(a)));
    for (const { value, path: at } of strings(s.raw, 'Principal', s.at)) {
      if (owners.has(value)) {
        findings.push(warning('OwnerAccountPrincipal', at, `principal \`${value}\` is the bucket owner's account: it names the account itself, not its ram users (UNVERIFIED, ref §7 V19); grant them with ram policies`));
      }
    }
  }
  return findings;
}

function isPublic(principal: unknown, kind: PolicyKind): boolean {
  if (principal === '*') return true;
  if (kind === 'bucket') return Array.isArray(principal) && (principal.length === 0 || principal.includes('*'));
  if (!isPlainObject(principal)) return false;
  return Object.values(principal).some((entries) => entries === '*' || (Array.isArray(entries) && entries.includes('*')));
}
