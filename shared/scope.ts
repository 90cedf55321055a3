// Which objects a deployment may act on: a bucket in ALLOWED_BUCKETS, a key under one of the served prefixes, and
// a key that reaches the object it names. One decision for every api route that takes a `uri` (API_PREFIXES) and
// for on-upload (INPUT_PREFIX), made before any STS or IMM call: IMM's service role may be granted the whole bucket,
// so IMM itself would read `private/…` without a word.
import type { Config } from './config';
import { ownHint } from './errorHints';
import { ForbiddenError } from './errors';
import { parseOssUri, keyProblem, type OssLocation } from './uri';

export interface Scope {
  allowedBuckets: ReadonlySet<string>;
  /** Key prefixes served, each ending in `/`. */
  prefixes: readonly string[];
  /** The setting the prefixes come from, named in the hint. */
  prefixSetting: 'API_PREFIXES' | 'INPUT_PREFIX';
}

export type ScopeDecision =
  | { allowed: true }
  | { allowed: false; code: 'BucketNotAllowed' | 'KeyNotAllowed' | 'InvalidKey'; message: string; hint: string };

const quoted = (value: string, max = 100) => `\`${value.length > max ? `${value.slice(0, max)}…` : value}\``;

/**
 * The bucket first, then the prefix, then the key's own shape: a key outside the prefixes is refused for that
 * alone, whatever its shape, so on-upload never acts (not even with a sidecar) outside INPUT_PREFIX.
 */
export function decideScope(location: OssLocation, scope: Scope): ScopeDecision {
  if (!scope.allowedBuckets.has(location.bucket)) {
    return {
      allowed: false,
      code: 'BucketNotAllowed',
      message: `bucket ${quoted(location.bucket)} is not served by this deployment`,
      hint: ownHint('BucketNotAllowed', { bucket: location.bucket }),
    };
  }
  if (!scope.prefixes.some((prefix) => location.key.startsWith(prefix))) {
    const list = scope.prefixes.map((p) => `\`${p}\``).join(', ');
    return {
      allowed: false,
      code: 'KeyNotAllowed',
      message: `key ${quoted(location.key)} is outside the prefixes this deployment serves (${list})`,
      hint: ownHint('KeyNotAllowed', { prefixes: scope.prefixes, prefixSetting: scope.prefixSetting }),
    };
  }
  const problem = keyProblem(location.key);
  if (problem) return { allowed: false, code: 'InvalidKey', message: problem, hint: ownHint('InvalidKey') };
  return { allowed: true };
}

/** What the api serves: ALLOWED_BUCKETS and API_PREFIXES (INPUT_PREFIX unless set). */
export function apiScope(config: Pick<Config, 'allowedBuckets' | 'apiPrefixes'>): Scope {
  return { allowedBuckets: config.allowedBuckets, prefixes: config.apiPrefixes, prefixSetting: 'API_PREFIXES' };
}

/** What on-upload processes: ALLOWED_BUCKETS and INPUT_PREFIX, the prefix its trigger watches. */
export function uploadScope(config: Pick<Config, 'allowedBuckets' | 'inputPrefix'>): Scope {
  return { allowedBuckets: config.allowedBuckets, prefixes: [config.inputPrefix], prefixSetting: 'INPUT_PREFIX' };
}

/**
 * A request's `uri`, parsed (400 when it is no valid `oss://` URI, an invalid key included) and inside the api's
 * scope (403 otherwise). Every route that takes a `uri` calls this before it asks for credentials.
 */
export function apiLocation(uri: unknown, config: Pick<Config, 'allowedBuckets' | 'apiPrefixes'>): OssLocation {
  const location = parseOssUri(uri);
  const decision = decideScope(location, apiScope(config));
  if (!decision.allowed) throw new ForbiddenError(decision.code, decision.message, decision.hint);
  return location;
}

/**
 * The deep health check's own folder under INPUT_PREFIX (shared/health.ts): it writes a probe image there, has IMM
 * score it and deletes it. on-upload ignores these keys entirely (no sidecar, no IMM call, no marker), so the
 * probe's upload event does nothing. shared/policy/generate.ts repeats it (no runtime imports there; a test keeps them equal).
 */
export const PROBE_DIR = '.imm-bridge-probe/';

export function probePrefix(inputPrefix: string): string {
  return `${inputPrefix}${PROBE_DIR}`;
}

export function isProbeKey(key: string, inputPrefix: string): boolean {
  return key.startsWith(probePrefix(inputPrefix));
}
