// Runs the data-driven corpus (policy-corpus.json, built from ref §7) through `simulate`, the CLI's entry point.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulate } from '../../shared/policy';
import type { Decision, Reason, SimulationInput } from '../../shared/policy';

interface CorpusCase {
  id: string;
  description: string;
  input: SimulationInput;
  expected: { decision: Decision; reasons?: Reason[] } | { parseError: string };
}

const corpus: CorpusCase[] = JSON.parse(readFileSync(join(__dirname, 'policy-corpus.json'), 'utf8'));
const decisionCases = corpus.filter((c) => 'decision' in c.expected);
const parseErrorCases = corpus.filter((c) => 'parseError' in c.expected);

type Doc = { Version: string; Statement: unknown };

/** The same input with the statements of every policy in reverse order. */
function reversed(input: SimulationInput): SimulationInput {
  const flip = (doc: unknown): unknown => {
    const policy = doc as Doc | null;
    if (!policy || !Array.isArray(policy.Statement)) return doc;
    return { ...policy, Statement: [...policy.Statement].reverse() };
  };
  return {
    ...input,
    identityPolicies: input.identityPolicies.map(flip),
    resourcePolicy: flip(input.resourcePolicy),
    ...(input.sessionPolicy !== undefined && { sessionPolicy: flip(input.sessionPolicy) }),
  };
}

describe('policy corpus', () => {
  it('has unique ids and covers the required rows of ref §7', () => {
    // Prepare
    const required = [
      ...Array.from({ length: 20 }, (_, i) => `M${i + 1}`),
      ...Array.from({ length: 16 }, (_, i) => `C${i + 1}`),
      ...Array.from({ length: 12 }, (_, i) => `V${i + 1}`),
      'V18',
      'V19',
      ...Array.from({ length: 7 }, (_, i) => `R${i + 1}`),
    ];

    // Act
    const ids = corpus.map((c) => c.id);
    const rows = new Set(ids.map((id) => /^[A-Z]\d+/.exec(id)?.[0]));

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    expect(corpus.length).toBeGreaterThanOrEqual(120);
    expect(corpus.filter((c) => typeof c.description !== 'string' || c.description.length < 10).map((c) => c.id)).toEqual([]);
    expect(required.filter((row) => !rows.has(row))).toEqual([]);
  });

  it.each(decisionCases)('$id: $description', ({ input, expected }) => {
    // Prepare
    const want = expected as { decision: Decision; reasons?: Reason[] };

    // Act
    const result = simulate(input);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.decision).toBe(want.decision);
    if (want.reasons) expect(result.reasons).toEqual(want.reasons);
  });

  it.each(parseErrorCases)('$id: $description', ({ input, expected }) => {
    // Prepare
    const { parseError } = expected as { parseError: string };

    // Act
    const result = simulate(input);

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.errors.map((e) => e.code)).toContain(parseError);
  });
});

describe('policy corpus, metamorphic', () => {
  it.each(decisionCases)('$id: the order of statements does not change the decision', ({ input, expected }) => {
    // Prepare
    const want = expected as { decision: Decision };

    // Act
    const result = simulate(reversed(input));

    // Assess
    expect(result.decision).toBe(want.decision);
  });

  it.each(decisionCases.filter((c) => (c.expected as { decision: Decision }).decision !== 'ExplicitDeny'))(
    '$id: an unrelated Deny added to every identity policy changes nothing',
    ({ input, expected }) => {
      // Prepare
      const unrelated = { Effect: 'Deny', Action: 'ecs:DeleteInstance', Resource: '*' };
      const withDeny: SimulationInput = {
        ...input,
        identityPolicies: input.identityPolicies.map((doc) => {
          const policy = doc as Doc;
          const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
          return { ...policy, Statement: [...statements, unrelated] };
        }),
      };

      // Act
      const result = simulate(withDeny);

      // Assess
      expect(result.decision).toBe((expected as { decision: Decision }).decision);
    },
  );
});
