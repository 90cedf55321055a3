// `policy simulate --input case.json`: one request against its policies, decided by the engine (DESIGN §3.5).
import { simulate, type SimulationInput } from '../shared/policy';
import { EXIT, parseOptions, printJson, readJson, required, type Io } from './io';

const COMMAND = 'policy simulate';

export const SIMULATE_HELP = `usage: npm run -s cli -- policy simulate --input <case.json>

Decides one request the way RAM and OSS would, and prints on stdout:
  {"decision":"Allow"|"ExplicitDeny"|"ImplicitDeny",
   "reasons":[{"policy":"identity[0]"|"session"|"resource","statement":0,"sid":"…","effect":"Allow"|"Deny"}],
   "errors":[{"code","message","path"}], "explanation":["one line per step"]}

The input is
  {"request":{"principal":"arn:sts::<uid>:assumed-role/<role>/<session>","action":"oss:GetObject",
              "resource":"acs:oss:*:<owner>:<bucket>/<key>","context":{"acs:SourceIp":"203.0.113.7"}},
   "identityPolicies":[…], "resourcePolicy":{…}|null, "sessionPolicy":{…}, "acl":{…}}
  principal: acs:ram::<uid>:root, acs:ram::<uid>:user/<name>, arn:sts::<uid>:assumed-role/<role>/<session>,
             a service such as imm.aliyuncs.com, or anonymous
  resourcePolicy: the bucket policy, or the role's trust policy when the action is sts:AssumeRole
  sessionPolicy (optional): the policy passed to AssumeRole, which must allow too
  acl (optional, oss actions): {"bucket":"private"|"public-read"|"public-read-write","object":"default"|…}

options:
  --input <file>   the case; \`-\` reads standard input
  --help           this text

exit codes: 0 decided, 1 a policy or the request has errors (listed in "errors"; the decision is then
ImplicitDeny), 2 the input cannot be read or is not json
`;

export function runSimulate(argv: readonly string[], io: Io): number {
  const values = parseOptions(COMMAND, argv, { input: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout(SIMULATE_HELP);
    return EXIT.ok;
  }
  const input = readJson(COMMAND, required(COMMAND, values.input, 'input', 'case.json'), io);
  const result = simulate(input as SimulationInput);
  printJson(io, { decision: result.decision, reasons: result.reasons, errors: result.errors, explanation: result.explanation });
  return result.errors.length > 0 ? EXIT.failed : EXIT.ok;
}
