// `policy lint --input policy.json [--kind identity|bucket|trust]`: findings of one policy (DESIGN §3.5).
import { inferPolicyKind, lintPolicy, type PolicyKind } from '../shared/policy';
import { EXIT, parseOptions, printJson, readText, required, UsageError, type Io } from './io';

const COMMAND = 'policy lint';
const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust'];

export const LINT_HELP = `usage: npm run -s cli -- policy lint --input <policy.json> [--kind identity|bucket|trust]

Checks one policy and prints on stdout:
  {"findings":[{"severity":"error"|"warning","code":"…","message":"…","path":"Statement[0].Resource"}],
   "kind":"identity"|"bucket"|"trust"}
Errors are what RAM or OSS would refuse (bad json or shape, unknown operator, malformed arn, size limits…);
warnings are what they accept but is likely wrong or too broad (unknown action, \`*\` grants, a bucket-level
action on an object arn…). Every rule is listed in cli/POLICY.md.

options:
  --input <file>   the policy; \`-\` reads standard input
  --kind <kind>    identity (a ram policy), bucket (an oss bucket policy) or trust (a ram role's trust policy);
                   inferred when absent: a Principal object (RAM, Service) → trust, a Principal array → bucket,
                   no Principal → identity
  --help           this text

exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 the input cannot be read
`;

export function runLint(argv: readonly string[], io: Io): number {
  const values = parseOptions(COMMAND, argv, { input: { type: 'string' }, kind: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout(LINT_HELP);
    return EXIT.ok;
  }
  const file = required(COMMAND, values.input, 'input', 'policy.json');
  if (values.kind !== undefined && !KINDS.includes(values.kind as PolicyKind)) {
    throw new UsageError(`${COMMAND}: kind \`${values.kind}\` must be \`identity\`, \`bucket\` or \`trust\``);
  }
  const text = readText(COMMAND, file, io);
  const kind = (values.kind as PolicyKind | undefined) ?? inferPolicyKind(text);
  const findings = lintPolicy(text, kind);
  printJson(io, { findings, kind });
  return findings.some((f) => f.severity === 'error') ? EXIT.failed : EXIT.ok;
}
