// The condition operators RAM documents (ref §2.1), and nothing else. Each negated operator is compiled as its
// positive twin; conditions.ts turns "some request value matches" into the negated result.
import { compileWildcard } from './wildcard';
import { cidrContains, parseCidr, parseDate, parseIp, parseNumber, parsePolicyBool, parseRequestBool } from './values';

/** Does one request value match any policy value? `undefined`: the request value cannot be read (e.g. not a number). */
export type ValueTest = (requestValue: string) => boolean | undefined;

export interface OperatorSpec {
  negated: boolean;
  /** A problem message for a policy value this operator cannot use, or undefined. */
  check(policyValue: string): string | undefined;
  compile(policyValues: readonly string[]): ValueTest;
}

const anyString = (): undefined => undefined;

const stringEquals = (values: readonly string[]): ValueTest => {
  if (values.length === 1) {
    const only = values[0];
    return (v) => v === only;
  }
  const set = new Set(values);
  return (v) => set.has(v);
};

const stringEqualsIgnoreCase = (values: readonly string[]): ValueTest => {
  const set = new Set(values.map((v) => v.toLowerCase()));
  return (v) => set.has(v.toLowerCase());
};

const stringLike = (values: readonly string[]): ValueTest => {
  const matchers = values.map((v) => compileWildcard(v));
  return (v) => matchers.some((m) => m(v));
};

const checkNumber = (v: string): string | undefined => (parseNumber(v) === undefined ? `\`${v}\` is not a number` : undefined);
const checkDate = (v: string): string | undefined =>
  parseDate(v) === undefined ? `\`${v}\` is not an iso-8601 date and time with a zone, such as \`2019-08-12T17:00:00+08:00\`` : undefined;
const checkBool = (v: string): string | undefined => (parsePolicyBool(v) === undefined ? `\`${v}\` is not \`true\` or \`false\`` : undefined);
const checkIp = (v: string): string | undefined =>
  parseCidr(v) === undefined ? `\`${v}\` is not an ipv4 or ipv6 address or cidr block (wildcards are not supported)` : undefined;

type Compare = (request: number, policy: number) => boolean;

const ordered =
  (parse: (s: string) => number | undefined, compare: Compare) =>
  (values: readonly string[]): ValueTest => {
    const parsed = values.map((v) => parse(v) as number);
    return (v) => {
      const n = parse(v);
      if (n === undefined) return undefined;
      return parsed.some((p) => compare(n, p));
    };
  };

const eq: Compare = (a, b) => a === b;
const lt: Compare = (a, b) => a < b;
const le: Compare = (a, b) => a <= b;
const gt: Compare = (a, b) => a > b;
const ge: Compare = (a, b) => a >= b;

const bool = (values: readonly string[]): ValueTest => {
  const parsed = values.map((v) => parsePolicyBool(v));
  return (v) => {
    const b = parseRequestBool(v);
    return b === undefined ? undefined : parsed.includes(b);
  };
};

const ipAddress = (values: readonly string[]): ValueTest => {
  const blocks = values.map((v) => parseCidr(v)!);
  return (v) => {
    const ip = parseIp(v);
    return ip === undefined ? undefined : blocks.some((b) => cidrContains(b, ip));
  };
};

const spec = (negated: boolean, check: OperatorSpec['check'], compile: OperatorSpec['compile']): OperatorSpec => ({ negated, check, compile });

export const OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  StringEquals: spec(false, anyString, stringEquals),
  StringNotEquals: spec(true, anyString, stringEquals),
  StringEqualsIgnoreCase: spec(false, anyString, stringEqualsIgnoreCase),
  StringNotEqualsIgnoreCase: spec(true, anyString, stringEqualsIgnoreCase),
  StringLike: spec(false, anyString, stringLike),
  StringNotLike: spec(true, anyString, stringLike),
  NumericEquals: spec(false, checkNumber, ordered(parseNumber, eq)),
  NumericNotEquals: spec(true, checkNumber, ordered(parseNumber, eq)),
  NumericLessThan: spec(false, checkNumber, ordered(parseNumber, lt)),
  NumericLessThanEquals: spec(false, checkNumber, ordered(parseNumber, le)),
  NumericGreaterThan: spec(false, checkNumber, ordered(parseNumber, gt)),
  NumericGreaterThanEquals: spec(false, checkNumber, ordered(parseNumber, ge)),
  DateEquals: spec(false, checkDate, ordered(parseDate, eq)),
  DateNotEquals: spec(true, checkDate, ordered(parseDate, eq)),
  DateLessThan: spec(false, checkDate, ordered(parseDate, lt)),
  DateLessThanEquals: spec(false, checkDate, ordered(parseDate, le)),
  DateGreaterThan: spec(false, checkDate, ordered(parseDate, gt)),
  DateGreaterThanEquals: spec(false, checkDate, ordered(parseDate, ge)),
  Bool: spec(false, checkBool, bool),
  IpAddress: spec(false, checkIp, ipAddress),
  NotIpAddress: spec(true, checkIp, ipAddress),
};

export function operatorSpec(name: string): OperatorSpec | undefined {
  return Object.prototype.hasOwnProperty.call(OPERATORS, name) ? OPERATORS[name] : undefined;
}

/** Why an operator name is refused, with a suggestion where one is obvious. */
export function unsupportedOperatorMessage(name: string): string {
  if (/^For(Any|All)Value:/i.test(name)) {
    return `operator \`${name}\` is not supported: ram documents no set operators (\`ForAnyValue:\`, \`ForAllValues:\`)`;
  }
  if (/IfExists$/i.test(name)) return `operator \`${name}\` is not supported: ram documents no \`…IfExists\` operators`;
  if (name === 'Null') return 'operator `Null` is not supported: ram documents no `Null` operator';
  const suggestion = closestOperator(name);
  return suggestion
    ? `operator \`${name}\` is not supported: did you mean \`${suggestion}\`?`
    : `operator \`${name}\` is not supported: use one of the string, numeric, date, bool or ip address operators`;
}

function closestOperator(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of Object.keys(OPERATORS)) {
    if (candidate.toLowerCase() === name.toLowerCase()) return candidate;
    const d = distance(candidate.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length];
}
