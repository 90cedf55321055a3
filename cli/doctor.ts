// `npm run cli -- doctor`: the live cross-account chain, link by link, in the order a request flows (issue 12 C):
// the bucket and its versioning, the bucket policy simulated for each grant IMM needs, the functions and triggers as
// FC 3.0 reports them (through @alicloud/fc2) against s.yaml, the topic subscription, and the api's deep health check,
// which runs inside the deployed function with the function's own role.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type OSS from 'ali-oss';
import { parse } from 'yaml';
import { accountOfRoleArn, authorizeOss, generatePolicies, IMM_OPERATIONS, parsePolicy, type DeployConfig } from '../shared/policy';
import { loadDeployment, type FunctionSpecFromYaml, type Json } from '../local/sYaml';
import { accessAlias, envKeys, readLocalStack, type AccountKeys } from './doctorCredentials';
import { fc2ErrorInfo, fc3Client, type Fc2Client } from './fc2';
import { EXIT, lower, parseOptions, printJson, UsageError, type Io } from './io';

const COMMAND = 'doctor';

export const DOCTOR_HELP = `usage: npm run -s cli -- doctor [options]

Checks a deployment link by link, in the order a request flows, and prints ✓ or ✗ with the fix for each:
  bucket                       the bucket exists in the region (GetBucketVersioning)
  bucket-versioning            never versioned (claims are exclusive only there)
  bucket-policy:<Sid>          the bucket policy, simulated for each grant IMM needs (policy generate's statements)
  function:<resource>          FC 3.0 GetFunction against s.yaml (runtime, handler, timeout, memory, role, env)
  triggers:<resource>          FC 3.0 ListTriggers against s.yaml; the OSS trigger watches INPUT_PREFIX
  topic-subscription           not checkable with the data account's keys: see docs/deploy.md
  health:<link>                GET <api>/healthz?deep=1: AssumeRole with the ExternalId, the IMM project, a probe image
                               the function writes under INPUT_PREFIX, IMM scores and the function deletes

credentials (the data account's, as \`s\` reads them):
  --data-alias <alias>   an alias of ~/.s/access.yaml (default: \`default\` unless ALIBABA_CLOUD_* are set)
  --media-alias <alias>  the media account's alias (read and checked for presence only)
  ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_ACCOUNT_ID instead of an alias
  --local                the local stack: keys and endpoints from .local/stack.json (LOCAL_DIR moves it)

options:
  --s-yaml <file>   the s.yaml deployed (default ./s.yaml); \${env(…)} values resolve from this shell
  --region <id>     default: REGION, or s.yaml's
  --bucket <name>   default: the bucket of s.yaml's OSS trigger
  --api-url <url>   default: the api function's HTTP trigger
  --token <token>   an api bearer token for the deep check (or IMM_BRIDGE_API_TOKEN)
  --json            print {"ok","links":[{"name","status","detail","fix"}]} instead of lines
  --help            this text

exit codes: 0 every link holds, 1 something is broken, 2 bad usage
`;

export type LinkStatus = 'ok' | 'broken' | 'unchecked';

export interface DoctorLink {
  name: string;
  status: LinkStatus;
  detail: string;
  fix?: string;
}

interface Target {
  region: string;
  data: AccountKeys;
  ossEndpoint?: string;
  fcEndpoint?: string;
  apiUrl?: string;
  token?: string;
  bucket?: string;
  sYamlText: string;
  /** The shell `s deploy` ran in: what s.yaml's `${env(…)}` resolve from. */
  deployEnv: Record<string, string | undefined>;
  /** Said in the topic link: how the subscription can be checked here. */
  local: boolean;
}

const ok = (name: string, detail: string): DoctorLink => ({ name, status: 'ok', detail });
const broken = (name: string, detail: string, fix: string): DoctorLink => ({ name, status: 'broken', detail, fix });
const unchecked = (name: string, detail: string, fix?: string): DoctorLink => ({ name, status: 'unchecked', detail, ...(fix ? { fix } : {}) });

export async function runDoctor(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env, isTty = false): Promise<number> {
  try {
    const values = parseOptions(COMMAND, argv, {
      'data-alias': { type: 'string' },
      'media-alias': { type: 'string' },
      local: { type: 'boolean' },
      's-yaml': { type: 'string' },
      region: { type: 'string' },
      bucket: { type: 'string' },
      'api-url': { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(DOCTOR_HELP);
      return EXIT.ok;
    }
    const target = resolveTarget(values, io, env);
    const links = await checkChain(target);
    const healthy = links.every((link) => link.status !== 'broken');
    if (values.json) printJson(io, { ok: healthy, links });
    else io.stdout(render(links, isTty));
    return healthy ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`internal error: ${lower(error)}\n`);
    return EXIT.failed;
  }
}

type DoctorValues = Partial<Record<'data-alias' | 'media-alias' | 's-yaml' | 'region' | 'bucket' | 'api-url' | 'token', string>> & { local?: boolean };

function resolveTarget(values: DoctorValues, io: Io, env: NodeJS.ProcessEnv): Target {
  const sYamlFile = path.resolve(io.cwd, values['s-yaml'] ?? 's.yaml');
  let sYamlText: string;
  try {
    sYamlText = readFileSync(sYamlFile, 'utf8');
  } catch {
    throw new UsageError(`${COMMAND}: cannot read s.yaml at \`${sYamlFile}\`: pass \`--s-yaml <file>\``);
  }
  if (values.local) {
    if (values['data-alias'] || values['media-alias']) throw new UsageError(`${COMMAND}: \`--local\` takes its keys from stack.json, not from an alias`);
    const stack = readLocalStack(COMMAND, io.cwd, env);
    const d = stack.accounts.data;
    return {
      region: values.region ?? stack.region,
      data: { accountId: d.uid, accessKeyId: d.accessKeyId, accessKeySecret: d.accessKeySecret },
      ossEndpoint: stack.endpoints.oss,
      fcEndpoint: stack.endpoints.fc,
      apiUrl: values['api-url'],
      token: values.token ?? stack.apiToken,
      bucket: values.bucket ?? stack.bucket,
      sYamlText,
      // The local stack's own values (REGION, BUCKET…) are not in this shell: only what s.yaml says literally is compared.
      deployEnv: { REGION: stack.region, BUCKET: stack.bucket },
      local: true,
    };
  }
  const fromEnv = values['data-alias'] ? undefined : envKeys(COMMAND, env);
  const data = fromEnv ?? accessAlias(COMMAND, values['data-alias'] ?? 'default', env);
  if (values['media-alias']) accessAlias(COMMAND, values['media-alias'], env);
  const region = values.region ?? env.REGION ?? env.ALIBABA_CLOUD_REGION;
  return {
    region: region ?? '',
    data,
    apiUrl: values['api-url'],
    token: values.token ?? env.IMM_BRIDGE_API_TOKEN,
    bucket: values.bucket,
    sYamlText,
    deployEnv: { ...env },
    local: false,
  };
}

// ---- the chain ------------------------------------------------------------------------------------

interface Deployed {
  spec: FunctionSpecFromYaml;
  fn?: Record<string, unknown>;
  triggers?: Record<string, unknown>[];
  error?: string;
}

async function checkChain(target: Target): Promise<DoctorLink[]> {
  const deployment = loadDeployment(target.sYamlText, { env: target.deployEnv, accountId: target.data.accountId });
  const region = target.region || deployment.functions[0]?.region || '';
  if (!region) throw new UsageError(`${COMMAND}: no region: pass \`--region\` or set REGION`);
  const onUpload = deployment.functions.find((f) => f.triggers.some((t) => t.type === 'oss'));
  const ossTrigger = onUpload?.triggers.find((t) => t.type === 'oss');
  const bucket = target.bucket ?? (ossTrigger?.type === 'oss' ? ossTrigger.sourceArn.split(':').pop() : undefined);
  if (!bucket) throw new UsageError(`${COMMAND}: no bucket: pass \`--bucket\``);

  // Read what FC runs first: the bucket-policy link needs the deployed prefixes and the media account.
  const fc = fc3Client({ ...target.data, region, endpoint: target.fcEndpoint });
  const deployed = await Promise.all(deployment.functions.map((spec) => readDeployed(fc, spec)));
  const runtimeEnv = (deployed.find((d) => d.spec === onUpload)?.fn?.environmentVariables ?? onUpload?.environment ?? {}) as Record<string, string>;

  const oss = await ossClient(target, region, bucket);
  const links: DoctorLink[] = [];
  links.push(...(await checkBucket(oss, bucket, region)));
  links.push(...(await checkBucketPolicy(oss, bucket, region, target.data.accountId, runtimeEnv)));
  const rawEnv = rawEnvironments(target.sYamlText);
  for (const d of deployed) links.push(...checkFunction(d, target, rawEnv[d.spec.resource] ?? {}));
  links.push(
    unchecked(
      'topic-subscription',
      target.local
        ? 'the local stack subscribes the api to its task topic itself; its subscriptions are not exposed to check'
        : "the topic and its HTTP subscription belong to the media account: not checkable with the data account's keys",
      runtimeEnv.IMM_NOTIFY_TOPIC ? `in the media account, check that topic \`${runtimeEnv.IMM_NOTIFY_TOPIC}\` has an HTTP subscription to <api>/notifications/imm (policy generate writes media-account/mns-http-subscription.json)` : undefined,
    ),
  );
  const api = deployed.find((d) => d.triggers?.some((t) => t.triggerType === 'http'));
  const apiUrl = target.apiUrl ?? (api?.triggers?.find((t) => t.triggerType === 'http')?.httpTrigger as { urlInternet?: string } | undefined)?.urlInternet;
  links.push(...(await checkHealth(apiUrl, target.token)));
  return links;
}

async function readDeployed(fc: Fc2Client, spec: FunctionSpecFromYaml): Promise<Deployed> {
  try {
    const fn = (await fc.get<Record<string, unknown>>(`/functions/${encodeURIComponent(spec.functionName)}`)).data;
    const triggers = (await fc.get<{ triggers?: Record<string, unknown>[] }>(`/functions/${encodeURIComponent(spec.functionName)}/triggers`, { limit: '100' })).data.triggers ?? [];
    return { spec, fn, triggers };
  } catch (error) {
    const info = fc2ErrorInfo(error);
    return { spec, error: `${info.code || `HTTP ${info.status}`}: ${info.message.slice(0, 200)}` };
  }
}

async function ossClient(target: Target, region: string, bucket: string): Promise<OSS> {
  const { default: Client } = await import('ali-oss');
  const keys = { accessKeyId: target.data.accessKeyId, accessKeySecret: target.data.accessKeySecret, stsToken: target.data.securityToken, bucket, region: `oss-${region}`, authorizationV4: true, timeout: 10_000 };
  // The local OSS takes path-style requests on its own endpoint (as shared/oss.ts builds its clients).
  return new Client(target.ossEndpoint ? ({ ...keys, endpoint: target.ossEndpoint, sldEnable: true } as ConstructorParameters<typeof Client>[0]) : { ...keys, secure: true });
}

const errorOf = (error: unknown) => ({ code: String((error as { code?: unknown })?.code ?? (error as { name?: unknown })?.name ?? 'Error'), message: String((error as Error)?.message ?? error), status: Number((error as { status?: unknown })?.status ?? 0) });

async function checkBucket(oss: OSS, bucket: string, region: string): Promise<DoctorLink[]> {
  try {
    const { versionStatus } = await (oss as unknown as { getBucketVersioning(b: string): Promise<{ versionStatus?: string }> }).getBucketVersioning(bucket);
    const versioning = versionStatus
      ? broken('bucket-versioning', `versioning is ${versionStatus}: on-upload's claims are exclusive only on a bucket that was never versioned`, `use a bucket that was never versioned (versioning cannot be turned off once enabled, only suspended): create a new one in ${region} and point BUCKET and ALLOWED_BUCKETS at it`)
      : ok('bucket-versioning', 'never versioned');
    return [ok('bucket', `\`${bucket}\` exists in ${region}`), versioning];
  } catch (error) {
    const e = errorOf(error);
    const fix =
      e.code === 'NoSuchBucket'
        ? `create bucket \`${bucket}\` in ${region} in the data account, or fix BUCKET / ALLOWED_BUCKETS`
        : /endpoint/i.test(e.message)
          ? `the bucket is in another region than ${region}: deploy the functions and the IMM project in the bucket's region`
          : `give the data account's key oss:GetBucketVersioning on \`${bucket}\` (or use the account's own key)`;
    return [broken('bucket', `GetBucketVersioning on \`${bucket}\` failed: ${e.code}`, fix), unchecked('bucket-versioning', 'not read: `bucket` failed')];
  }
}

async function checkBucketPolicy(oss: OSS, bucket: string, region: string, dataAccountId: string, env: Record<string, string>): Promise<DoctorLink[]> {
  const mediaAccountId = (env.IMM_ROLE_ARN && accountOfRoleArn(env.IMM_ROLE_ARN)) || dataAccountId;
  const config: DeployConfig = {
    region,
    dataAccountId,
    mediaAccountId,
    bucket,
    inputPrefix: env.INPUT_PREFIX || 'incoming/',
    resultsPrefix: env.RESULTS_PREFIX || 'results/',
    outputPrefix: env.OUTPUT_PREFIX || 'converted/',
    immProject: env.IMM_PROJECT || 'immtest',
    operations: IMM_OPERATIONS,
    operatorRoleName: env.IMM_ROLE_ARN?.split('/').pop() || 'imm-bridge-operator',
    functionRoleName: 'imm-bridge-fn',
    externalId: 'unused',
    ...(env.IMM_SERVICE_ROLE ? { immServiceRoleName: env.IMM_SERVICE_ROLE } : {}),
  };
  const expected = generatePolicies(config).bucketPolicy.Statement as { Sid: string; Principal: string[]; Action: string[]; Resource: string[] }[];
  let document: unknown;
  try {
    document = (await oss.getBucketPolicy(bucket)).policy ?? { Version: '1', Statement: [] };
  } catch (error) {
    const e = errorOf(error);
    if (e.code === 'NoSuchBucketPolicy') document = { Version: '1', Statement: [] };
    else return expected.map((s) => broken(`bucket-policy:${s.Sid}`, `GetBucketPolicy failed: ${e.code}`, `give the data account's key oss:GetBucketPolicy on \`${bucket}\``));
  }
  const parsed = parsePolicy(document, 'bucket');
  if (!parsed.ok) return expected.map((s) => broken(`bucket-policy:${s.Sid}`, `the bucket policy does not parse: ${parsed.problems.map((p) => p.message).join('; ').slice(0, 200)}`, 'replace it with data-account/bucket-policy.json from `npm run cli -- policy generate`'));
  return expected.map((statement) => {
    // IMM's service role, in a session of its own: one object under each granted prefix, each action.
    const principal = statement.Principal[0].replace(/\*$/, 'imm-bridge-doctor');
    const denied = statement.Action.flatMap((action) =>
      statement.Resource.map((resource) => ({ action, resource: resource.replace(/\*$/, 'imm-bridge-doctor.jpg') })).filter(
        (request) => authorizeOss({ request: { principal, ...request, context: {} }, identityPolicies: [], bucketPolicy: parsed.policy }).decision !== 'Allow',
      ),
    );
    const what = `${statement.Action.join(', ')} on ${statement.Resource.map((r) => `\`${r.split(':').pop()}\``).join(', ')}`;
    if (denied.length === 0) return ok(`bucket-policy:${statement.Sid}`, `IMM's service role may ${what}`);
    return broken(
      `bucket-policy:${statement.Sid}`,
      `IMM's service role of account ${mediaAccountId} may not ${denied.map((d) => `${d.action} on \`${d.resource.split(':').pop()}\``).join(', ')}`,
      `add this statement to the bucket policy of \`${bucket}\` (\`npm run cli -- policy generate\` writes data-account/bucket-policy.json): ${JSON.stringify(statement)}`,
    );
  });
}

/** s.yaml's environmentVariables per resource before resolution, to tell literal values from `${env(…)}` ones. */
function rawEnvironments(text: string): Record<string, Record<string, string>> {
  const doc = (parse(text) ?? {}) as { vars?: Record<string, Json>; resources?: Record<string, { props?: Record<string, Json> }> };
  const vars = doc.vars ?? {};
  const expand = (node: Json | undefined): Json | undefined => {
    const whole = typeof node === 'string' ? /^\$\{vars\.([\w.]+)\}$/.exec(node) : null;
    if (!whole) return node;
    let value: Json | undefined = vars;
    for (const part of whole[1].split('.')) value = value && typeof value === 'object' && !Array.isArray(value) ? value[part] : undefined;
    return expand(value);
  };
  const out: Record<string, Record<string, string>> = {};
  for (const [resource, raw] of Object.entries(doc.resources ?? {})) {
    const environment = expand(raw?.props?.environmentVariables);
    if (!environment || typeof environment !== 'object' || Array.isArray(environment)) continue;
    out[resource] = Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(expand(v) ?? '')]));
  }
  return out;
}

/** The `${env('NAME')}` a raw value reads, through `${vars.x}` references. */
function envNames(raw: string, text: string): string[] {
  const names = [...raw.matchAll(/\$\{env\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  for (const [, dotted] of raw.matchAll(/\$\{vars\.([\w.]+)\}/g)) {
    const doc = (parse(text) ?? {}) as { vars?: Record<string, Json> };
    let value: Json | undefined = doc.vars ?? {};
    for (const part of dotted.split('.')) value = value && typeof value === 'object' && !Array.isArray(value) ? value[part] : undefined;
    if (typeof value === 'string') names.push(...envNames(value, text));
  }
  return names;
}

function checkFunction(d: Deployed, target: Target, rawEnv: Record<string, string>): DoctorLink[] {
  const { spec } = d;
  const fnLink = `function:${spec.resource}`;
  const triggerLink = `triggers:${spec.resource}`;
  if (!d.fn) {
    const missing = /FunctionNotFound|404/.test(d.error ?? '');
    return [
      broken(fnLink, `GetFunction \`${spec.functionName}\` failed: ${d.error ?? 'no answer'}`, missing ? '`s deploy` from the data account (the function does not exist in this account and region)' : "give the data account's key fc:GetFunction and fc:ListTriggers"),
      unchecked(triggerLink, `not read: \`${fnLink}\` failed`),
    ];
  }
  const fn = d.fn;
  const differences: string[] = [];
  const compare = (field: string, actual: unknown, wanted: unknown, same = (a: unknown, b: unknown) => a === b) => {
    if (!same(actual, wanted)) differences.push(`${field} is \`${String(actual)}\`, s.yaml says \`${String(wanted)}\``);
  };
  compare('runtime', fn.runtime, spec.runtime);
  compare('handler', fn.handler, spec.handler);
  compare('timeout', fn.timeout, spec.timeoutSeconds);
  compare('memorySize', fn.memorySize, spec.memoryMb);
  // fc3 lower-cases role ARNs before it creates the function (reference/deploy.md §5).
  compare('role', fn.role, spec.role ?? '', (a, b) => String(a ?? '').toLowerCase() === String(b).toLowerCase());
  const deployedEnv = (fn.environmentVariables ?? {}) as Record<string, string>;
  // Only what s.yaml fixes: a literal, or an `${env(…)}` whose variable this shell has (as `s deploy` would read it).
  const known = Object.keys(spec.environment).filter((key) => envNames(rawEnv[key] ?? '', target.sYamlText).every((name) => target.deployEnv[name] !== undefined));
  for (const key of known) compare(`env ${key}`, deployedEnv[key], spec.environment[key]);
  const links = [differences.length === 0 ? ok(fnLink, `\`${spec.functionName}\` matches s.yaml (${known.length} env values compared)`) : broken(fnLink, differences.join('; '), `\`s deploy\` again from the s.yaml you mean (with the same \${env(…)} values), or fix s.yaml`)];

  const triggerProblems: string[] = [];
  const deployedTriggers = d.triggers ?? [];
  for (const wanted of spec.triggers) {
    const found = deployedTriggers.find((t) => t.triggerName === wanted.name);
    if (!found) {
      triggerProblems.push(`trigger \`${wanted.name}\` is not deployed`);
      continue;
    }
    const config = JSON.parse(typeof found.triggerConfig === 'string' ? found.triggerConfig : '{}') as Record<string, unknown>;
    if (wanted.type === 'oss') {
      const key = ((config.filter as { key?: { prefix?: string; suffix?: string } } | undefined)?.key ?? {}) as { prefix?: string; suffix?: string };
      if (found.sourceArn !== wanted.sourceArn) triggerProblems.push(`\`${wanted.name}\` watches \`${String(found.sourceArn)}\`, s.yaml says \`${wanted.sourceArn}\``);
      if ((key.prefix ?? '') !== wanted.prefix) triggerProblems.push(`\`${wanted.name}\` prefix is \`${key.prefix ?? ''}\`, s.yaml says \`${wanted.prefix}\``);
      // Whatever s.yaml says: on-upload ignores every object outside INPUT_PREFIX, so another prefix does nothing.
      if (deployedEnv.INPUT_PREFIX !== undefined && (key.prefix ?? '') !== deployedEnv.INPUT_PREFIX) {
        triggerProblems.push(`\`${wanted.name}\` prefix \`${key.prefix ?? ''}\` is not INPUT_PREFIX \`${deployedEnv.INPUT_PREFIX}\`: on-upload would ignore what it reports`);
      }
      const events = (config.events as string[] | undefined) ?? [];
      if (events.join(',') !== wanted.events.join(',')) triggerProblems.push(`\`${wanted.name}\` events are ${events.join(', ')}, s.yaml says ${wanted.events.join(', ')}`);
    } else if (wanted.type === 'timer') {
      if (config.cronExpression !== wanted.cronExpression || config.enable !== wanted.enable) triggerProblems.push(`\`${wanted.name}\` runs \`${String(config.cronExpression)}\` (enable ${String(config.enable)}), s.yaml says \`${wanted.cronExpression}\` (enable ${wanted.enable})`);
    } else if (wanted.type !== 'other' && found.triggerType !== wanted.type) {
      triggerProblems.push(`\`${wanted.name}\` is a ${String(found.triggerType)} trigger, s.yaml says ${wanted.type}`);
    }
  }
  links.push(
    triggerProblems.length === 0
      ? ok(triggerLink, spec.triggers.length === 0 ? 'none declared, none needed' : `${spec.triggers.map((t) => t.name).join(', ')} as s.yaml declares`)
      : broken(triggerLink, triggerProblems.join('; '), `make s.yaml's trigger prefix equal INPUT_PREFIX and \`s deploy\` again`),
  );
  return links;
}

interface HealthBody {
  ok?: boolean;
  links?: { name: string; ok: boolean; skipped?: boolean; code?: string; message?: string; fix?: string; bucket?: string }[];
  error?: { code?: string; message?: string; hint?: string };
  /** FC's own answer when the function threw before it could answer (an invalid configuration, a crash). */
  ErrorCode?: string;
  ErrorMessage?: string;
}

async function checkHealth(apiUrl: string | undefined, token: string | undefined): Promise<DoctorLink[]> {
  if (!apiUrl) return [broken('health', 'the api function has no HTTP trigger URL', 'pass `--api-url`, or deploy the api with its HTTP trigger (`s info` shows the URL)')];
  if (!token) return [unchecked('health', 'no api token: the deep check was not run', 'pass `--token <token>` or set IMM_BRIDGE_API_TOKEN')];
  let response: Response;
  try {
    response = await fetch(`${apiUrl.replace(/\/+$/, '')}/healthz?deep=1`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    return [broken('health', `GET ${apiUrl}/healthz?deep=1 failed: ${lower(error)}`, 'check the api URL (`s info`) and that the api function is deployed')];
  }
  const body = (await response.json().catch(() => ({}))) as HealthBody;
  if (!body.links && body.ErrorCode) {
    const configuration = /configuration/i.test(body.ErrorMessage ?? '');
    return [broken('health', `the api function failed before answering: ${body.ErrorCode}: ${body.ErrorMessage ?? ''}`, configuration ? "fix that value in s.yaml's environment (or the variable it reads) and `s deploy` again" : "check the api function's logs")];
  }
  if (!body.links) {
    const code = body.error?.code ?? `HTTP ${response.status}`;
    return [broken('health', `the deep check answered ${response.status} ${code}${body.error?.message ? `: ${body.error.message}` : ''}`, body.error?.hint ?? (response.status === 401 ? 'use a token whose SHA-256 is in API_TOKENS_SHA256' : 'check the api function\'s logs'))];
  }
  return body.links.map((link) => {
    const name = `health:${link.name}`;
    const where = link.bucket ? ` (${link.bucket})` : '';
    if (link.ok) return ok(name, `ok${where}`);
    if (link.skipped) return unchecked(name, `${link.message ?? 'not run'}${where}`);
    return broken(name, `${link.code ?? 'failed'}: ${link.message ?? ''}${where}`, link.fix ?? 'see the api function\'s logs');
  });
}

// ---- output -----------------------------------------------------------------------------------------

function render(links: readonly DoctorLink[], color: boolean): string {
  const mark = { ok: '✓', broken: '✗', unchecked: '–' } as const;
  const paint = (status: LinkStatus, text: string) => (!color ? text : `\u001b[${status === 'ok' ? 32 : status === 'broken' ? 31 : 33}m${text}\u001b[0m`);
  const width = Math.max(...links.map((l) => l.name.length));
  const lines = links.flatMap((link) => [`${paint(link.status, mark[link.status])} ${link.name.padEnd(width)}  ${link.detail}`, ...(link.fix ? [`  ${' '.repeat(width)}  ${link.status === 'unchecked' ? 'check' : 'fix'}: ${link.fix}`] : [])]);
  const brokenCount = links.filter((l) => l.status === 'broken').length;
  lines.push('', brokenCount === 0 ? 'every checked link holds' : `${brokenCount} link(s) broken`);
  return `${lines.join('\n')}\n`;
}
