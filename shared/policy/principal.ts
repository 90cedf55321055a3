// Principals: reading the request's caller, parsing the Principal element of bucket and trust policies, and matching
// one against the other.
import { describeType, isPlainObject, join, stringList, type Problems } from './problems';
import type { RequestPrincipal } from './types';
import { compileWildcard } from './wildcard';

const ROOT = /^acs:ram::(\d+):root$/;
const USER = /^acs:ram::(\d+):user\/([^/]+)$/;
const STS_SESSION = /^arn:sts::(\d+):assumed-role\/([^/]+)\/([^/]+)$/;
const ACS_SESSION = /^acs:ram::(\d+):role\/([^/]+)\/([^/]+)$/;
const SERVICE = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

const parsedCache = new Map<string, RequestPrincipal | undefined>();

/**
 * Reads a request principal: `acs:ram::<uid>:root`, `acs:ram::<uid>:user/<name>`,
 * `arn:sts::<uid>:assumed-role/<role>/<session>` (or `acs:ram::<uid>:role/<role>/<session>`), a service name such as
 * `imm.aliyuncs.com`, or `*`/`anonymous` for an unsigned caller. Undefined for anything else.
 */
export function parsePrincipal(s: string): RequestPrincipal | undefined {
  if (parsedCache.has(s)) return parsedCache.get(s);
  const parsed = readPrincipal(s);
  if (parsedCache.size >= 10_000) parsedCache.clear();
  parsedCache.set(s, parsed);
  return parsed;
}

function readPrincipal(s: string): RequestPrincipal | undefined {
  if (s === '*' || s === 'anonymous') return { type: 'anonymous' };
  let m = ROOT.exec(s);
  if (m) return { type: 'root', accountId: m[1] };
  m = USER.exec(s);
  if (m) return { type: 'user', accountId: m[1], name: m[2] };
  m = STS_SESSION.exec(s) ?? ACS_SESSION.exec(s);
  if (m) return { type: 'role-session', accountId: m[1], roleName: m[2], sessionName: m[3] };
  if (SERVICE.test(s)) return { type: 'service', name: s };
  return undefined;
}

/** The canonical ARN of a principal, as explanations print it. */
export function principalArn(p: RequestPrincipal): string {
  switch (p.type) {
    case 'root':
      return `acs:ram::${p.accountId}:root`;
    case 'user':
      return `acs:ram::${p.accountId}:user/${p.name}`;
    case 'role-session':
      return `arn:sts::${p.accountId}:assumed-role/${p.roleName}/${p.sessionName}`;
    case 'service':
      return p.name ?? '';
    case 'anonymous':
      return 'anonymous';
  }
}

// ---- the Principal element ----

const BUCKET_ENTRY = /^(\*|\d+|arn:sts::[^:]*:.+|acs:ram::[^:]*:.+)$/;
const TRUST_RAM_ENTRY = /^(\*|acs:ram::[^:/]+:(root|user\/[^/]+|role\/[^/]+))$/;
const TRUST_SERVICE_ENTRY = /^(\*|[A-Za-z0-9*-]+(\.[A-Za-z0-9*-]+)+)$/;
const TRUST_FEDERATED_ENTRY = /^acs:ram::[^:/]+:(saml|oidc)-provider\/[^/]+$/;

/** Bucket policy: an array of strings, a single string accepted; `[]` means `["*"]` (ref §3.4). */
export function parseBucketPrincipal(raw: unknown, path: string, problems: Problems): string[] | undefined {
  if (Array.isArray(raw) && raw.length === 0) return ['*'];
  if (isPlainObject(raw)) {
    problems.add('InvalidPrincipal', path, 'a bucket policy principal is an array of strings, not a `{"RAM": …}` object as in trust policies');
    return undefined;
  }
  const entries = stringList(raw, path, 'principal', problems);
  if (!entries) return undefined;
  let ok = true;
  entries.forEach((entry, i) => {
    if (!BUCKET_ENTRY.test(entry)) {
      problems.add(
        'InvalidPrincipal',
        Array.isArray(raw) ? `${path}[${i}]` : path,
        `principal \`${entry}\` must be \`*\`, an account or ram user uid, \`arn:sts::<uid>:assumed-role/<role>/<session>\` or \`acs:ram::<uid>:user/<name>\``,
      );
      ok = false;
    }
  });
  return ok ? entries : undefined;
}

export interface TrustPrincipals {
  RAM: string[];
  Service: string[];
  Federated: string[];
}

const TRUST_KEYS = { RAM: TRUST_RAM_ENTRY, Service: TRUST_SERVICE_ENTRY, Federated: TRUST_FEDERATED_ENTRY } as const;

const TRUST_HINTS: Record<keyof TrustPrincipals, string> = {
  RAM: '`acs:ram::<uid>:root`, `acs:ram::<uid>:user/<name>` or `acs:ram::<uid>:role/<name>`',
  Service: 'a service name such as `imm.aliyuncs.com`',
  Federated: '`acs:ram::<uid>:saml-provider/<name>`',
};

/** Trust policy: `{RAM, Service, Federated}`, each a string or an array; the string `"*"` means everyone. */
export function parseTrustPrincipal(raw: unknown, path: string, problems: Problems): TrustPrincipals | undefined {
  if (raw === '*') return { RAM: ['*'], Service: ['*'], Federated: [] };
  if (!isPlainObject(raw)) {
    problems.add('InvalidPrincipal', path, `a trust policy principal must be an object with \`RAM\`, \`Service\` or \`Federated\`, not ${describeType(raw)}`);
    return undefined;
  }
  const result: TrustPrincipals = { RAM: [], Service: [], Federated: [] };
  const keys = Object.keys(raw);
  if (keys.length === 0) problems.add('InvalidPrincipal', path, 'a trust policy principal must name at least one of `RAM`, `Service` or `Federated`');
  let ok = keys.length > 0;
  for (const key of keys) {
    const keyPath = join(path, key);
    if (!Object.hasOwn(TRUST_KEYS, key)) {
      const known = Object.keys(TRUST_KEYS).find((k) => k.toLowerCase() === key.toLowerCase());
      problems.add('UnknownElement', keyPath, `unknown principal type \`${key}\`${known ? `: did you mean \`${known}\`?` : ': use `RAM`, `Service` or `Federated`'}`);
      ok = false;
      continue;
    }
    const typed = key as keyof TrustPrincipals;
    const entries = stringList(raw[key], keyPath, 'principal', problems);
    if (!entries) {
      ok = false;
      continue;
    }
    entries.forEach((entry, i) => {
      if (!TRUST_KEYS[typed].test(entry)) {
        problems.add('InvalidPrincipal', Array.isArray(raw[key]) ? `${keyPath}[${i}]` : keyPath, `${key} principal \`${entry}\` must be ${TRUST_HINTS[typed]}`);
        ok = false;
      }
    });
    result[typed] = entries;
  }
  return ok ? result : undefined;
}

// ---- matching ----

/** Does a Principal entry name the caller? `uid` is the RAM user's numeric id, if the request carries it. */
export type PrincipalMatcher = (p: RequestPrincipal, uid: string | undefined) => boolean;

const never: PrincipalMatcher = () => false;

/**
 * A bucket-policy entry. A numeric UID names an
 * account's root or a RAM user by its own uid; an account UID does NOT cover that account's RAM users (ref §7 V19,
 * UNVERIFIED; the stricter reading is the safe default for an Allow).
 */
export function compileBucketEntry(entry: string): PrincipalMatcher {
  // `*` names everyone, anonymous callers included; evaluate.ts applies the owner-root exception (ref §3.4).
  if (entry === '*') return () => true;
  if (/^\d+$/.test(entry)) {
    return (p, uid) => (p.type === 'root' && p.accountId === entry) || (p.type === 'user' && uid === entry);
  }
  return compileArnPattern(entry);
}

/**
 * `arn:sts::<uid>:assumed-role/<role>/<session>` or `acs:ram::<uid>:(root|user/<name>|role/<role>/<session>)`, with
 * wildcards. Compared field by field when the pattern has the same number of `/` parts as the caller's ARN, so the role
 * name can compare case-insensitively (RAM role names do) while the session name stays exact. Otherwise (e.g.
 * `arn:sts::*:*`) the whole remainder is matched, once as is and once with the role name lower-cased.
 */
function compileArnPattern(entry: string): PrincipalMatcher {
  const m = /^(arn:sts|acs:ram)::([^:]*):(.*)$/.exec(entry);
  if (!m) return never;
  const scheme = m[1];
  const account = compileWildcard(m[2]);
  const rest = compileWildcard(m[3]);
  const parts = m[3].split('/');
  // Field matchers: the type (`assumed-role`, `user`…) and, for sessions, the role name ignore case.
  const exact = parts.map((part) => compileWildcard(part));
  const folded = parts.map((part) => compileWildcard(part, true));
  return (p) => {
    if (!p.accountId || !account(p.accountId)) return false;
    const candidate = candidateParts(scheme, p);
    if (!candidate) return false;
    if (parts.length === candidate.length) {
      const foldsRole = p.type === 'role-session';
      for (let i = 0; i < parts.length; i++) {
        const matcher = i === 0 || (foldsRole && i === 1) ? folded[i] : exact[i];
        if (!matcher(candidate[i])) return false;
      }
      return true;
    }
    if (rest(candidate.join('/'))) return true;
    if (p.type !== 'role-session') return false;
    return rest([candidate[0], candidate[1].toLowerCase(), candidate[2]].join('/'));
  };
}

function candidateParts(scheme: string, p: RequestPrincipal): string[] | undefined {
  if (p.type === 'role-session') return [scheme === 'arn:sts' ? 'assumed-role' : 'role', p.roleName!, p.sessionName!];
  if (scheme !== 'acs:ram') return undefined;
  if (p.type === 'user') return ['user', p.name!];
  if (p.type === 'root') return ['root'];
  return undefined;
}

/**
 * A trust-policy entry (ref §4).
 * - RAM `acs:ram::<uid>:root`: any user or role session of that account (each still needs sts:AssumeRole itself);
 *   `user/<name>`: that user; `role/<name>`: sessions of that role (name case-insensitive); `*`: any RAM caller.
 * - Service: a cloud service by name (case-insensitive, as host names are).
 * - Federated: never matches. The emulator has no SAML or OIDC identity providers, so no request can come from one;
 *   the entries are still validated so that a typo is reported.
 */
export function compileTrustEntry(type: keyof TrustPrincipals, entry: string): PrincipalMatcher {
  if (type === 'Federated') return never;
  if (type === 'Service') {
    const name = compileWildcard(entry, true);
    return (p) => p.type === 'service' && name(p.name ?? '');
  }
  const isRam = (p: RequestPrincipal): boolean => p.type === 'root' || p.type === 'user' || p.type === 'role-session';
  if (entry === '*') return isRam;
  const m = /^acs:ram::([^:/]+):(root|user\/([^/]+)|role\/([^/]+))$/.exec(entry);
  if (!m) return never;
  const account = compileWildcard(m[1]);
  const inAccount = (p: RequestPrincipal): boolean => isRam(p) && account(p.accountId ?? '');
  if (m[2] === 'root') return inAccount;
  if (m[3] !== undefined) {
    const user = compileWildcard(m[3]);
    return (p) => p.type === 'user' && inAccount(p) && user(p.name ?? '');
  }
  const role = compileWildcard(m[4], true);
  return (p) => p.type === 'role-session' && inAccount(p) && role(p.roleName ?? '');
}
