// Problem codes of the parser, and a small collector that keeps every problem instead of stopping at the first.
import type { PolicyProblem } from './types';

export type ProblemCode =
  | 'InvalidJson'
  | 'InvalidKind'
  | 'InvalidType'
  | 'UnknownElement'
  | 'MissingVersion'
  | 'InvalidVersion'
  | 'MissingStatement'
  | 'MissingEffect'
  | 'InvalidEffect'
  | 'MissingAction'
  | 'ActionAndNotAction'
  | 'InvalidAction'
  | 'MissingResource'
  | 'ResourceNotAllowed'
  | 'NotResourceNotSupported'
  | 'InvalidResource'
  | 'MissingPrincipal'
  | 'PrincipalNotAllowed'
  | 'InvalidPrincipal'
  | 'EmptyValue'
  | 'InvalidCondition'
  | 'UnsupportedOperator'
  | 'InvalidConditionKey'
  | 'InvalidConditionValue'
  | 'SourceIpWithoutSourceVpc'
  | 'InvalidRequest';

export class Problems {
  readonly list: PolicyProblem[] = [];

  add(code: ProblemCode, path: string, message: string): void {
    this.list.push({ code, message, path });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** `Statement[0]` + `Action` → `Statement[0].Action`; an empty base gives the bare name. */
export function join(base: string, name: string): string {
  return base === '' ? name : `${base}.${name}`;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A string or a non-empty array of strings, as a list. Records problems and returns undefined otherwise.
 * An empty array is refused: in a Deny it would silently match nothing.
 */
export function stringList(value: unknown, path: string, element: string, problems: Problems): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) {
    problems.add('InvalidType', path, `${element} must be a string or an array of strings, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    problems.add('EmptyValue', path, `${element} must not be an empty array`);
    return undefined;
  }
  let ok = true;
  value.forEach((item, i) => {
    if (typeof item !== 'string') {
      problems.add('InvalidType', `${path}[${i}]`, `${element} values must be strings, not ${describeType(item)}`);
      ok = false;
    }
  });
  return ok ? (value as string[]) : undefined;
}
