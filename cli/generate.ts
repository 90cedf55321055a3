// `policy generate --config deploy.json --out DIR`: every policy of DESIGN §1, one file each, grouped by account.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generatePolicies, IMM_OPERATIONS, lintPolicy, mnsHttpSubscription, type DeployConfig, type GeneratedPolicies, type PolicyKind } from '../shared/policy';
import { EXIT, lower, parseOptions, printJson, readJson, required, UsageError, type Io } from './io';

const COMMAND = 'policy generate';

export const GENERATE_HELP = `usage: npm run -s cli -- policy generate --config <deploy.json> --out <dir>

Writes every policy the cross-account flow needs, each granting the least it uses, one file per policy:
  <dir>/data-account/bucket-policy.json          bucket policy: IMM's service role reads inputs, writes outputs
  <dir>/data-account/function-role-trust.json    trust policy of the function role (FC assumes it)
  <dir>/data-account/function-role-policy.json   function role: assume the operator role, read inputs, write results
  <dir>/media-account/operator-role-trust.json   trust policy of the operator role: the function role, with ExternalId
  <dir>/media-account/operator-role-policy.json  operator role: the IMM actions in use, ram:PassRole on IMM's role
  <dir>/media-account/imm-service-role-policy.json  with notifyTopic: IMM's service role may publish task results
  <dir>/media-account/mns-http-subscription.json    with notifyTopic: the topic's HTTP subscription to the api
  <dir>/README.txt                               where each one goes
and prints {"out":"<dir>","files":[…]} on stdout. Every policy lints clean before it is written.

deploy.json (example: cli/examples/deploy.json):
  region             the IMM project's region, e.g. cn-hangzhou
  dataAccountId      uid of the account that owns the bucket and the functions
  mediaAccountId     uid of the account that owns the IMM project (may equal dataAccountId)
  bucket             the data bucket
  inputPrefix        uploads that trigger processing, e.g. incoming/
  resultsPrefix      sidecars written by the function, e.g. results/
  outputPrefix       outputs written by IMM tasks, e.g. converted/
  immProject         the IMM project
  operations         IMM operations in use: ${IMM_OPERATIONS.join(', ')}
  operatorRoleName   the role in the media account, e.g. imm-bridge-operator
  functionRoleName   the functions' role in the data account, e.g. imm-bridge-fn
  externalId         the ExternalId the operator role requires (2-1224 of letters, digits and _+=,.@:/-)
  immServiceRoleName optional, the IMM project's service role (default AliyunIMMDefaultRole)
  notifyTopic        optional, the media account's MNS topic for task results (IMM_NOTIFY_TOPIC)
  apiUrl             optional, the api's HTTP trigger URL (https://…); the subscription pushes to
                     <apiUrl>/notifications/imm (a placeholder is written without it)
  notifyContentFormat optional, XML, JSON (default) or SIMPLIFIED
  notifyStrategy     optional, EXPONENTIAL_DECAY_RETRY (default) or BACKOFF_RETRY

options:
  --config <file>  the deployment description; \`-\` reads standard input
  --out <dir>      where to write; created if missing, existing files are replaced
  --help           this text

exit codes: 0 written, 2 the config cannot be read or is invalid (one line names every problem)
`;

const readable = (value: unknown): string => (typeof value === 'string' ? `\`${value}\`` : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`);

/** A required string that must match `pattern`; the messages say what the field must be. */
const field = (pattern: RegExp, rule: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be a string, not ${readable(issue.input)}`) })
    .refine((value) => pattern.test(value), { error: (issue) => `must be ${rule}, not ${readable(issue.input)}` });

const ROLE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const ROLE_RULE = 'a ram role name of 1-64 letters, digits, `.`, `_` or `-`';
const ACCOUNT = /^\d{5,20}$/;
const ACCOUNT_RULE = 'an account uid (digits), such as `1000000000000001`';
// No `*` or `?`: the prefix becomes part of policy resources, where both are wildcards.
const PREFIX = /^(?!\/)[^*?\u0000-\u001f]{1,1022}\/$/;
const PREFIX_RULE = 'an object key prefix ending in `/`, such as `incoming/`, without a leading `/`, `*` or `?`';

export const deployConfigSchema = z
  .strictObject({
    region: field(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'a region id, such as `cn-hangzhou`'),
    dataAccountId: field(ACCOUNT, ACCOUNT_RULE),
    mediaAccountId: field(ACCOUNT, ACCOUNT_RULE),
    bucket: field(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'a bucket name of 3-63 lowercase letters, digits or `-`, starting and ending with a letter or digit'),
    inputPrefix: field(PREFIX, PREFIX_RULE),
    resultsPrefix: field(PREFIX, PREFIX_RULE),
    outputPrefix: field(PREFIX, PREFIX_RULE),
    immProject: field(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'an imm project name of 1-128 letters, digits, `_` or `-`'),
    operations: z
      .array(z.enum(IMM_OPERATIONS, { error: (issue) => `must be one of ${IMM_OPERATIONS.map((op) => `\`${op}\``).join(', ')}, not ${readable(issue.input)}` }), {
        error: (issue) => (issue.input === undefined ? 'is required' : `must be an array of imm operations, not ${readable(issue.input)}`),
      })
      .min(1, { error: 'must list at least one imm operation' })
      .refine((ops) => new Set(ops).size === ops.length, { error: 'must not list an operation twice' }),
    operatorRoleName: field(ROLE_NAME, ROLE_RULE),
    functionRoleName: field(ROLE_NAME, ROLE_RULE),
    externalId: field(/^[\w+=,.@:/-]{2,1224}$/, '2-1224 letters, digits or `_+=,.@:/-` (sts ExternalId rules)'),
    immServiceRoleName: field(ROLE_NAME, ROLE_RULE).optional(),
    notifyTopic: field(/^[A-Za-z][A-Za-z0-9-]{0,255}$/, 'an mns topic name of 1-256 letters, digits or `-`, starting with a letter').optional(),
    // MNS signs the endpoint's path; a query string or fragment would only complicate that.
    apiUrl: field(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/, 'an https url of the api, such as `https://api-abc.cn-hangzhou.fcapp.run`, without query').optional(),
    notifyContentFormat: z.enum(['XML', 'JSON', 'SIMPLIFIED'], { error: (issue) => `must be XML, JSON or SIMPLIFIED, not ${readable(issue.input)}` }).optional(),
    notifyStrategy: z.enum(['BACKOFF_RETRY', 'EXPONENTIAL_DECAY_RETRY'], { error: (issue) => `must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY, not ${readable(issue.input)}` }).optional(),
  })
  .superRefine((config, ctx) => {
    // Nothing may be written under the input prefix, or the OSS trigger would fire on its own output (DESIGN §1).
    for (const key of ['resultsPrefix', 'outputPrefix'] as const) {
      const [a, b] = [config[key], config.inputPrefix];
      if (a.startsWith(b) || b.startsWith(a)) ctx.addIssue({ code: 'custom', path: [key], message: `must not overlap \`inputPrefix\` \`${b}\`, not \`${a}\`: the trigger would fire on its own output` });
    }
  });

/** Every problem of a deploy config, one per field, as `\`bucket\` must be …`; empty when it is valid. */
export function validateDeployConfig(raw: unknown): { ok: true; config: DeployConfig } | { ok: false; problems: string[] } {
  const result = deployConfigSchema.safeParse(raw);
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `unknown field \`${k}\``).join('; ');
    if (issue.path.length === 0) return `the config must be a json object, not ${issue.code === 'invalid_type' ? readable(raw) : 'this'}`;
    const name = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
    return `\`${name}\` ${issue.message}`;
  });
  return { ok: false, problems };
}

interface Output {
  file: string;
  policy: keyof GeneratedPolicies;
  kind: PolicyKind;
}

const OUTPUTS: readonly Output[] = [
  { file: 'data-account/bucket-policy.json', policy: 'bucketPolicy', kind: 'bucket' },
  { file: 'data-account/function-role-trust.json', policy: 'functionRoleTrustPolicy', kind: 'trust' },
  { file: 'data-account/function-role-policy.json', policy: 'functionRolePolicy', kind: 'identity' },
  { file: 'media-account/operator-role-trust.json', policy: 'operatorTrustPolicy', kind: 'trust' },
  { file: 'media-account/operator-role-policy.json', policy: 'operatorRolePolicy', kind: 'identity' },
  { file: 'media-account/imm-service-role-policy.json', policy: 'immServiceRolePolicy', kind: 'identity' },
];

export function runGenerate(argv: readonly string[], io: Io): number {
  const values = parseOptions(COMMAND, argv, { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout(GENERATE_HELP);
    return EXIT.ok;
  }
  const configFile = required(COMMAND, values.config, 'config', 'deploy.json');
  const out = path.resolve(io.cwd, required(COMMAND, values.out, 'out', 'dir'));
  const validated = validateDeployConfig(readJson(COMMAND, configFile, io));
  if (!validated.ok) throw new UsageError(`${COMMAND}: invalid deploy config \`${configFile}\`: ${validated.problems.join('; ')}`);
  const { config } = validated;
  const policies = generatePolicies(config);
  // Optional policies (the service role's, without a notify topic) are not generated, so not written.
  const outputs = OUTPUTS.filter(({ policy }) => policies[policy] !== undefined);

  // A generated policy that lints with any finding is a bug here, never something to hand to a user.
  const findings = outputs.flatMap(({ file, policy, kind }) => lintPolicy(policies[policy], kind).map((f) => `${file}: ${f.code} at \`${f.path}\`: ${f.message}`));
  if (findings.length > 0) {
    io.stderr(`${COMMAND}: a generated policy did not lint clean: ${findings.join('; ')}\n`);
    return EXIT.failed;
  }
  // Not a policy: the settings of the media account's HTTP subscription (MNS console or Subscribe).
  const subscription = config.notifyTopic ? [{ file: SUBSCRIPTION_FILE, content: mnsHttpSubscription({ ...config, notifyTopic: config.notifyTopic }) }] : [];
  try {
    for (const { file, content } of [...outputs.map(({ file, policy }) => ({ file, content: policies[policy] })), ...subscription]) {
      const target = path.join(out, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, `${JSON.stringify(content, null, 2)}\n`);
    }
    writeFileSync(path.join(out, 'README.txt'), readme(config));
  } catch (error) {
    throw new UsageError(`${COMMAND}: cannot write to \`${values.out}\`: ${lower(error)}`);
  }
  printJson(io, { out, files: [...outputs.map((o) => o.file), ...subscription.map((s) => s.file), 'README.txt'] });
  return EXIT.ok;
}

function readme(c: DeployConfig): string {
  const operatorArn = `acs:ram::${c.mediaAccountId}:role/${c.operatorRoleName}`;
  const writes = generatePolicies(c).bucketPolicy.Statement.length > 1 ? ` and write ${c.outputPrefix}` : '';
  return `Policies for imm-bridge, generated by \`npm run cli -- policy generate\`. Where each one goes:

Data account ${c.dataAccountId} (owns bucket ${c.bucket} and the functions)
  data-account/bucket-policy.json
      the bucket policy of ${c.bucket} (OSS console: Permission Control > Bucket Policy > Add by syntax,
      or PutBucketPolicy). IMM's service role of account ${c.mediaAccountId} may read ${c.inputPrefix}${writes}.
  data-account/function-role-trust.json
      the trust policy of RAM role ${c.functionRoleName} (RAM console: Roles > ${c.functionRoleName} > Trust Policy)
  data-account/function-role-policy.json
      a custom policy to create and attach to RAM role ${c.functionRoleName}; set this role on all three functions

Media account ${c.mediaAccountId} (owns IMM project ${c.immProject} in ${c.region})
  media-account/operator-role-trust.json
      the trust policy of RAM role ${c.operatorRoleName}: only the function role, and only with the ExternalId
  media-account/operator-role-policy.json
      a custom policy to create and attach to RAM role ${c.operatorRoleName}
${notifyLines(c)}
Then set on every function (s.yaml): IMM_ROLE_ARN=${operatorArn}
and IMM_ROLE_EXTERNAL_ID=${c.externalId}${c.notifyTopic ? `\nand IMM_NOTIFY_TOPIC=${c.notifyTopic}` : ''}${
  // The session policy lets the session pass only this role (ram:PassRole); the default needs no setting.
  c.immServiceRoleName && c.immServiceRoleName !== 'AliyunIMMDefaultRole' ? `\nand IMM_SERVICE_ROLE=${c.immServiceRoleName}` : ''
}
`;
}

const SUBSCRIPTION_FILE = 'media-account/mns-http-subscription.json';

function notifyLines(c: DeployConfig): string {
  if (!c.notifyTopic) return '';
  const s = mnsHttpSubscription({ ...c, notifyTopic: c.notifyTopic });
  return `  media-account/imm-service-role-policy.json
      a custom policy to attach to IMM's service role ${c.immServiceRoleName ?? 'AliyunIMMDefaultRole'}: IMM may publish task
      results to MNS topic ${c.notifyTopic}; create that topic in ${c.region}
  ${SUBSCRIPTION_FILE}
      not a policy: create this subscription of topic ${c.notifyTopic} (MNS console: Topics > ${c.notifyTopic} >
      Create Subscription, push type HTTP; or the Subscribe API): endpoint ${s.Endpoint},
      format ${s.NotifyContentFormat}, retry ${s.NotifyStrategy}.${c.apiUrl ? '' : ' Replace <api-host> with the api\'s HTTP trigger host.'}
      MNS pushes each task result there, signed; the api checks the signature against MNS's certificate
      (MNS_CERT_URL_PREFIXES) and confirms the result with GetTask. No RAM grant is needed for the push.
`;
}
