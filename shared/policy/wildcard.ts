// Wildcard matching for policy strings. `*` (zero or more characters, crossing `/` and `:`) and `?` (exactly one
// character) are the only special characters; everything else is literal. No RegExp is built from policy text, so
// neither regex metacharacters nor catastrophic backtracking can leak in. Worst case is O(pattern × value).

export type Matcher = (value: string) => boolean;

const MAX_CACHED = 10_000;
const cache = new Map<string, Matcher>();

const SURROGATE = /[\uD800-\uDFFF]/;

/** True when `value` matches `pattern`. With `ignoreCase`, both sides compare lower-cased. */
export function matchWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  return compileWildcard(pattern, ignoreCase)(value);
}

/** A cached matcher for `pattern`. Compiling once and reusing the matcher is what keeps evaluation fast. */
export function compileWildcard(pattern: string, ignoreCase = false): Matcher {
  const cacheKey = (ignoreCase ? 'i' : 's') + pattern;
  let matcher = cache.get(cacheKey);
  if (matcher) return matcher;
  matcher = build(ignoreCase ? pattern.toLowerCase() : pattern);
  if (ignoreCase) {
    const caseSensitive = matcher;
    matcher = (value) => caseSensitive(value.toLowerCase());
  }
  // A crude bound: policies are few and small, but request-driven patterns must not grow the cache forever.
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(cacheKey, matcher);
  return matcher;
}

function build(pattern: string): Matcher {
  if (pattern === '*') return () => true;
  const hasStar = pattern.includes('*');
  const hasQuestion = pattern.includes('?');
  if (!hasStar && !hasQuestion) return (value) => value === pattern;
  if (!hasQuestion) {
    const firstStar = pattern.indexOf('*');
    if (firstStar === pattern.length - 1) {
      const prefix = pattern.slice(0, -1);
      return (value) => value.startsWith(prefix);
    }
    if (firstStar === 0 && pattern.lastIndexOf('*') === 0) {
      const suffix = pattern.slice(1);
      return (value) => value.endsWith(suffix);
    }
  }
  const segments = pattern.split('*');
  if (!hasQuestion) return starMatcher(segments);
  // `?` is one character, not one UTF-16 code unit: compare by code points when either side has surrogates.
  const pointSegments = segments.map((segment) => Array.from(segment));
  return (value) => (SURROGATE.test(value) ? matchSegments(pointSegments, Array.from(value)) : matchSegments(segments, value));
}

/**
 * Only `*` between literal segments: native `startsWith`, `endsWith` and `indexOf` instead of comparing character by
 * character. Each middle segment is taken at its leftmost position, as in `matchSegments`. This is the hot path of
 * every resource check (`acs:oss:*:<uid>:<bucket>/<prefix>*`).
 */
function starMatcher(segments: readonly string[]): Matcher {
  const first = segments[0];
  const last = segments[segments.length - 1];
  const middle = segments.slice(1, -1).filter((segment) => segment.length > 0);
  const minLength = segments.reduce((sum, segment) => sum + segment.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    let position = first.length;
    const end = value.length - last.length;
    for (let i = 0; i < middle.length; i++) {
      const at = value.indexOf(middle[i], position);
      if (at < 0 || at + middle[i].length > end) return false;
      position = at + middle[i].length;
    }
    return true;
  };
}

type Chars = ArrayLike<string>;

/**
 * `segments` is the pattern split on `*`. The first segment is anchored at the start, the last at the end, and each
 * middle one is taken at its leftmost position after the previous one; with only `*` between segments, the leftmost
 * choice never loses a match.
 */
function matchSegments(segments: readonly Chars[], value: Chars): boolean {
  const count = segments.length;
  const first = segments[0];
  if (count === 1) return value.length === first.length && segmentAt(first, value, 0);
  const last = segments[count - 1];
  if (first.length + last.length > value.length) return false;
  if (!segmentAt(first, value, 0) || !segmentAt(last, value, value.length - last.length)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < count - 1; i++) {
    const segment = segments[i];
    if (segment.length === 0) continue;
    let found = -1;
    for (let at = position; at + segment.length <= end; at++) {
      if (segmentAt(segment, value, at)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    position = found + segment.length;
  }
  return true;
}

function segmentAt(segment: Chars, value: Chars, at: number): boolean {
  if (at < 0 || at + segment.length > value.length) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c !== '?' && c !== value[at + i]) return false;
  }
  return true;
}
