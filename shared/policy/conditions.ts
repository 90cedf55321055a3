// The Condition element: parsing (every operator known, every value readable) and evaluation against a request's
// context. Semantics (ref §2.2): values for one key are ORed, keys are ANDed, operators are ANDed.
//
// Missing keys (ref §2.2, inferred): a positive operator on a key the request lacks is false; a negated operator
// (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress) is true.
// A request value that cannot be read (`abc` for a number) makes the condition *unevaluable*: evaluate.ts lets an
// unevaluable Allow not apply and an unevaluable Deny apply, so a malformed request never turns into an allow.
import { operatorSpec, unsupportedOperatorMessage, type ValueTest } from './operators';
import { describeType, isPlainObject, join, type Problems } from './problems';
import type { ConditionContext, ParsedCondition } from './types';

export function parseCondition(raw: unknown, path: string, problems: Problems): ParsedCondition[] | undefined {
  if (!isPlainObject(raw)) {
    problems.add('InvalidCondition', path, `condition must be an object of operators, not ${describeType(raw)}`);
    return undefined;
  }
  const operators = Object.keys(raw);
  // An empty block is refused rather than read as "no condition", since it changes how OSS reads `Principal: "*"`.
  if (operators.length === 0) problems.add('InvalidCondition', path, 'condition must not be empty');
  const conditions: ParsedCondition[] = [];
  for (const operator of operators) {
    const operatorPath = join(path, operator);
    const spec = operatorSpec(operator);
    if (!spec) {
      problems.add('UnsupportedOperator', operatorPath, unsupportedOperatorMessage(operator));
      continue;
    }
    const block = raw[operator];
    if (!isPlainObject(block)) {
      problems.add('InvalidCondition', operatorPath, `operator \`${operator}\` must map condition keys to values, not ${describeType(block)}`);
      continue;
    }
    const keys = Object.keys(block);
    if (keys.length === 0) problems.add('InvalidCondition', operatorPath, `operator \`${operator}\` must name at least one condition key`);
    for (const key of keys) {
      const keyPath = join(operatorPath, key);
      // Every RAM key has a service prefix (`acs:`, `oss:`, `sts:`): a bare name is a typo that a negated operator would
      // read as "missing, so true".
      if (!/^[A-Za-z0-9-]+:.+$/.test(key)) {
        problems.add('InvalidConditionKey', keyPath, `condition key \`${key}\` must have a service prefix, such as \`acs:SourceIp\``);
        continue;
      }
      const values = conditionValues(block[key], keyPath, problems);
      if (!values) continue;
      let valid = true;
      values.forEach((value, i) => {
        const message = spec.check(value);
        if (message) {
          problems.add('InvalidConditionValue', Array.isArray(block[key]) ? `${keyPath}[${i}]` : keyPath, `${operator}: ${message}`);
          valid = false;
        }
      });
      if (valid) conditions.push({ operator, key, values });
    }
  }
  return conditions;
}

function conditionValues(raw: unknown, path: string, problems: Problems): string[] | undefined {
  const quoted = 'condition values must be json strings, such as `"true"` or `"3600"`';
  if (typeof raw === 'string') return [raw];
  if (!Array.isArray(raw)) {
    problems.add('InvalidConditionValue', path, `${quoted}, not ${describeType(raw)}`);
    return undefined;
  }
  if (raw.length === 0) {
    problems.add('EmptyValue', path, 'condition values must not be an empty array');
    return undefined;
  }
  let ok = true;
  raw.forEach((item, i) => {
    if (typeof item !== 'string') {
      problems.add('InvalidConditionValue', `${path}[${i}]`, `${quoted}, not ${describeType(item)}`);
      ok = false;
    }
  });
  return ok ? (raw as string[]) : undefined;
}

export interface CompiledCondition {
  /** `StringEquals sts:ExternalId`, for explanations. */
  label: string;
  key: string;
  negated: boolean;
  test: ValueTest;
}

export function compileCondition(condition: ParsedCondition): CompiledCondition {
  const spec = operatorSpec(condition.operator);
  // parsePolicy refuses unknown operators; a hand-built policy with one must still fail closed, never be skipped.
  const test: ValueTest = spec ? spec.compile(condition.values) : () => undefined;
  return { label: `${condition.operator} ${condition.key}`, key: condition.key, negated: spec?.negated ?? false, test };
}

export type ConditionResult = true | false | 'unevaluable';

/** One condition against the context. */
export function evaluateCondition(condition: CompiledCondition, context: ConditionContext | undefined): ConditionResult {
  const value = lookup(context, condition.key);
  if (value === undefined || (typeof value !== 'string' && value.length === 0)) return condition.negated;
  let unreadable = false;
  let matched = false;
  if (typeof value === 'string') {
    const r = condition.test(value);
    matched = r === true;
    unreadable = r === undefined;
  } else {
    for (const v of value) {
      const r = condition.test(v);
      if (r === true) {
        matched = true;
        break;
      }
      if (r === undefined) unreadable = true;
    }
  }
  // Positive: some request value matches some policy value. Negated: no request value matches any policy value.
  if (matched) return !condition.negated;
  if (unreadable) return 'unevaluable';
  return condition.negated;
}

export interface ConditionsOutcome {
  result: ConditionResult;
  /** The first condition that was false, else the first that was unevaluable. */
  failed?: CompiledCondition;
}

const ALL_TRUE: ConditionsOutcome = { result: true };

/** All conditions ANDed. A false condition outweighs an unevaluable one: the statement then surely does not apply. */
export function evaluateConditions(conditions: readonly CompiledCondition[], context: ConditionContext | undefined): ConditionsOutcome {
  let unevaluable: CompiledCondition | undefined;
  for (const condition of conditions) {
    const r = evaluateCondition(condition, context);
    if (r === false) return { result: false, failed: condition };
    if (r === 'unevaluable' && !unevaluable) unevaluable = condition;
  }
  return unevaluable ? { result: 'unevaluable', failed: unevaluable } : ALL_TRUE;
}

/**
 * Exact key first, then a case-insensitive match: RAM does not document key case, and a negated operator on a key
 * that is merely spelled differently would otherwise read as "missing, so true".
 */
function lookup(context: ConditionContext | undefined, key: string): string | readonly string[] | undefined {
  if (!context) return undefined;
  if (Object.hasOwn(context, key)) return context[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(context)) if (k.toLowerCase() === lower) return context[k];
  return undefined;
}
