// Offline check of s.yaml: `s verify` and `s deploy` need the network, so this validates what `s deploy` would
// create, with the environment it would run with: every fc3 resource against the fc3 props schema
// (../shared/data/fc3-schema.json), plus what the schema is too weak for (its triggerConfig is an anyOf that accepts
// any object) and what only shows after a deploy: an API no client can reach, a trigger on another account's
// resource, an unbuilt bundle, the demo values left in. It reads s.yaml through local/sYaml.ts, the model the local
// stack deploys from, so the check and the local cloud never disagree about what the file says.
import Ajv, { type ValidateFunction } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseSchedule } from '../local/schedule';
import { loadDeployment, parseArn, resolveVariables, SYamlError, UNKNOWN_ACCOUNT_ID, type FunctionSpecFromYaml, type Json } from '../local/sYaml';
import { loadConfig } from '../shared/config';
import { ConfigError } from '../shared/errors';

export const REQUIRED_ENV = ['IMM_PROJECT', 'IMM_ROLE_ARN', 'IMM_ROLE_EXTERNAL_ID', 'REGION', 'ALLOWED_BUCKETS', 'INPUT_PREFIX', 'RESULTS_PREFIX', 'OUTPUT_PREFIX', 'API_TOKENS_SHA256'];

/** Values of the demo scenario (DESIGN §1) that must not reach a real deployment. */
const DEMO_BUCKET = 'test-bucket-2024';
const DEMO_PROJECT = 'immtest';
const PLACEHOLDER_ACCOUNTS = ['1000000000000001', '2000000000000002'];
const PLACEHOLDER_EXTERNAL_ID = /^(|changeme|change-me|external-id|your-external-id|<.*>|x+|test|example)$/i;

export interface CheckOptions {
  /** The environment `s deploy` will run with: `${env(…)}` resolves from it. */
  env?: NodeJS.ProcessEnv;
  /** `--local`: the values are the local stack's, so the demo names and placeholder accounts are expected. */
  local?: boolean;
  /** Require the bundles `code` names to be built (`npm run build`). */
  requireBuild?: boolean;
  /** The deploying account's uid, if known (`${config('AccountID')}`). */
  accountId?: string;
}

export interface CheckReport {
  problems: string[];
  /** What was checked, one line each, printed by `npm run check:s-yaml`. */
  checked: string[];
}

export function checkSYaml(text: string, schema: object, repoRoot: string, options: CheckOptions = {}): CheckReport {
  const env = options.env ?? {};
  const problems: string[] = [];
  const checked: string[] = [];
  let functions: FunctionSpecFromYaml[];
  try {
    functions = loadDeployment(text, { env, accountId: options.accountId }).functions;
  } catch (error) {
    if (error instanceof SYamlError) return { problems: error.problems, checked };
    throw error;
  }
  const accountId = options.accountId ?? UNKNOWN_ACCOUNT_ID;
  const validateProps = compileSchemas(schema);
  const doc = parse(text) as { vars?: Record<string, Json> };
  checked.push(`${functions.length} function(s): ${functions.map((f) => `${f.resource} (${f.functionName})`).join(', ')}`);

  for (const fn of functions) {
    const where = `resources.${fn.resource}.props`;
    if (!validateProps.props(fn.props)) {
      for (const e of validateProps.props.errors ?? []) problems.push(`${where}${e.instancePath.replace(/\//g, '.')}: ${e.message}`);
    }
    if (fn.runtime !== 'nodejs20') problems.push(`${where}.runtime must be \`nodejs20\`, got \`${fn.runtime}\``);
    if (fn.handler !== 'index.handler') problems.push(`${where}.handler must be \`index.handler\` (the bundles export \`handler\` from index.js), got \`${fn.handler}\``);
    checkCode(fn, repoRoot, options.requireBuild ?? false, problems);
    if (!fn.role || !/^acs:ram::\d+:role\/[\w.-]+$/.test(fn.role)) problems.push(`${where}.role must be a role ARN, acs:ram::<account>:role/<name>`);
    checkEnvironment(fn, options.local ?? false, problems);
    fn.triggers.forEach((trigger, i) => checkTrigger(fn, i, accountId, validateProps, options.local ?? false, problems));
  }
  // The demo bucket can also hide in vars that no environment variable repeats (the trigger's sourceArn).
  if (!options.local) {
    const bucket = String(resolveVariables(doc.vars?.bucket ?? '', doc.vars ?? {}, { env, accountId }));
    if (bucket === DEMO_BUCKET) problems.push(`vars.bucket is the demo bucket \`${DEMO_BUCKET}\`: set BUCKET to your bucket (or pass --local for the local stack)`);
  }
  checked.push('fc3 props schema, runtime, handler, role ARN, code path and its build, pre-deploy build action');
  checked.push(`environment: ${REQUIRED_ENV.join(', ')} present; the functions' own configuration check; no demo values${options.local ? ' (skipped: --local)' : ''}`);
  checked.push('triggers: OSS filter = INPUT_PREFIX and no loop, sources in the deploying account, invocation roles, HTTP auth matches the api, timer schedules');
  return { problems: [...new Set(problems)], checked };
}

/** The problems only (the unit tests' and older callers' shape). */
export function validateSYaml(text: string, schema: object, repoRoot: string, env: NodeJS.ProcessEnv = {}, options: Omit<CheckOptions, 'env'> = {}): string[] {
  return checkSYaml(text, schema, repoRoot, { ...options, env }).problems;
}

interface Schemas {
  props: ValidateFunction;
  triggers: Record<string, ValidateFunction>;
}

function compileSchemas(schema: object): Schemas {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema, 'fc3');
  return {
    props: ajv.getSchema('fc3') as ValidateFunction,
    triggers: {
      oss: ajv.getSchema('fc3#/definitions/IOssTriggerConfig') as ValidateFunction,
      http: ajv.getSchema('fc3#/definitions/IHttpTriggerConfig') as ValidateFunction,
      mns_topic: ajv.getSchema('fc3#/definitions/IMnsTriggerConfig') as ValidateFunction,
      timer: ajv.getSchema('fc3#/definitions/ITimerTriggerConfig') as ValidateFunction,
    },
  };
}

function checkCode(fn: FunctionSpecFromYaml, repoRoot: string, requireBuild: boolean, problems: string[]): void {
  const where = `resources.${fn.resource}`;
  const name = /^\.\/dist\/([\w-]+)$/.exec(fn.code)?.[1];
  if (!name) {
    problems.push(`${where}.props.code must be \`./dist/<function>\` (the build output), got \`${fn.code}\``);
    return;
  }
  if (!existsSync(path.join(repoRoot, 'functions', name, 'index.ts'))) problems.push(`${where}.props.code points at \`${fn.code}\` but functions/${name}/index.ts does not exist`);
  // fc3 zips `code` as it is (reference/deploy.md §5): without a pre-deploy build, a stale bundle or none is uploaded.
  if (!fn.preDeploy.some((action) => /\bnpm run (-s )?build\b/.test(action.run))) {
    problems.push(`${where}.actions: add \`pre-deploy: - run: npm run build\` (path ./), or \`s deploy\` uploads whatever ${fn.code} holds`);
  }
  if (requireBuild && !existsSync(path.join(repoRoot, fn.code, 'index.js'))) problems.push(`${where}.props.code \`${fn.code}\` has no index.js: run \`npm run build\``);
}

function checkEnvironment(fn: FunctionSpecFromYaml, local: boolean, problems: string[]): void {
  const where = `resources.${fn.resource}.props.environmentVariables`;
  const env = fn.environment;
  for (const key of REQUIRED_ENV) if (!(key in env)) problems.push(`${where} lacks ${key}`);
  // The functions' own configuration check, as their first invocation would run it with these values.
  try {
    loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.push(`${where}: ${problem}`);
  }
  if (/--enable-source-maps/.test(env.NODE_OPTIONS ?? '')) problems.push(`${where}.NODE_OPTIONS: --enable-source-maps costs ×1.75 at cold start and the build ships no maps; remove it`);
  if (local) return;
  if (!env.API_TOKENS_SHA256) problems.push(`${where}.API_TOKENS_SHA256 is empty, so the api refuses every caller: set it to the SHA-256 hex of each token (\`printf %s "$TOKEN" | sha256sum\`)`);
  if (env.IMM_PROJECT === DEMO_PROJECT) problems.push(`${where}.IMM_PROJECT is the demo project \`${DEMO_PROJECT}\`: set IMM_PROJECT to your IMM project`);
  if ((env.ALLOWED_BUCKETS ?? '').split(',').map((b) => b.trim()).includes(DEMO_BUCKET)) problems.push(`${where}.ALLOWED_BUCKETS holds the demo bucket \`${DEMO_BUCKET}\`: set ALLOWED_BUCKETS`);
  const roleAccount = /^acs:ram::(\d+):role\//.exec(env.IMM_ROLE_ARN ?? '')?.[1];
  if (roleAccount && PLACEHOLDER_ACCOUNTS.includes(roleAccount)) problems.push(`${where}.IMM_ROLE_ARN names the placeholder account ${roleAccount}: use the media account's uid`);
  if (env.IMM_ROLE_ARN && PLACEHOLDER_EXTERNAL_ID.test(env.IMM_ROLE_EXTERNAL_ID ?? '')) {
    problems.push(`${where}.IMM_ROLE_EXTERNAL_ID is \`${env.IMM_ROLE_EXTERNAL_ID ?? ''}\`: set the ExternalId the operator role's trust policy requires (\`policy generate\` writes it)`);
  }
}

function checkTrigger(fn: FunctionSpecFromYaml, i: number, accountId: string, schemas: Schemas, local: boolean, problems: string[]): void {
  const at = `resources.${fn.resource}.props.triggers[${i}]`;
  const trigger = fn.triggers[i];
  const raw = ((fn.props.triggers as Json[])[i] ?? {}) as Record<string, Json>;
  const type = trigger.type === 'other' ? trigger.triggerType : trigger.type;
  const check = schemas.triggers[type];
  if (!check) {
    problems.push(`${at}.triggerType \`${type}\` is not one imm-bridge uses (oss, http, timer)`);
    return;
  }
  if (!check(raw.triggerConfig)) for (const e of check.errors ?? []) problems.push(`${at}.triggerConfig${e.instancePath.replace(/\//g, '.')}: ${e.message}`);
  const env = fn.environment;
  if (trigger.type === 'oss' || trigger.type === 'mns_topic') {
    const arn = parseArn(trigger.sourceArn);
    if (!arn || arn.service !== (trigger.type === 'oss' ? 'oss' : 'mns')) {
      problems.push(`${at}.sourceArn must be \`${trigger.type === 'oss' ? 'acs:oss:<region>:<account>:<bucket>' : 'acs:mns:<region>:<account>:/topics/<name>'}\``);
    } else if (arn.account !== accountId) {
      // No source says FC accepts a trigger on another account's resource (reference/deploy.md §2).
      problems.push(`${at}.sourceArn names account ${arn.account || '(none)'}: a trigger's source must belong to the deploying account (use \${config("AccountID")})${trigger.type === 'mns_topic' ? "; for the media account's topic, subscribe the api's /notifications/imm over HTTP instead" : ''}`);
    } else if (arn.region !== fn.region) problems.push(`${at}.sourceArn is in region \`${arn.region}\`, the function in \`${fn.region}\``);
    if (!trigger.invocationRole || !/^acs:ram::\d+:role\/[\w.-]+$/.test(trigger.invocationRole)) {
      problems.push(`${at}.invocationRole is required: the role ${trigger.type === 'oss' ? 'OSS' : 'MNS'} invokes the function through (acs:ram::<account>:role/${trigger.type === 'oss' ? 'aliyunosseventnotificationrole' : 'aliyunmnsnotificationrole'}); fc3 does not create it`);
    }
  }
  if (trigger.type === 'oss') {
    if (trigger.prefix !== env.INPUT_PREFIX) problems.push(`${at}.triggerConfig.filter.key.prefix \`${trigger.prefix}\` must equal INPUT_PREFIX \`${env.INPUT_PREFIX ?? ''}\`: other uploads would be ignored or never arrive`);
    if (env.RESULTS_PREFIX && trigger.prefix && env.RESULTS_PREFIX.startsWith(trigger.prefix)) problems.push(`${at}: results under the trigger prefix would loop`);
  }
  if (trigger.type === 'timer') {
    try {
      const schedule = parseSchedule(trigger.cronExpression);
      // FC's docs give intervals in minutes (`@every 4m`, TimerTriggerConfig); whether it takes seconds is
      // UNVERIFIED, so a deploy must not rely on it. The local stack accepts seconds, for tests (`--local`).
      if (!local && /^@every/.test(trigger.cronExpression.trim()) && schedule.next(0) < 60_000) {
        problems.push(`${at}.triggerConfig.cronExpression \`${trigger.cronExpression}\`: FC documents intervals of whole minutes; use at least \`@every 1m\``);
      }
    } catch (error) {
      problems.push(`${at}.triggerConfig.cronExpression ${(error as Error).message}`);
    }
  }
  if (trigger.type === 'http') {
    // The trigger's auth and the function's must match: the api checks bearer tokens itself, so FC must let
    // requests through. `function` makes FC's gateway demand an Alibaba Cloud signature instead (403 for every
    // bearer client, reference/deploy.md §1); `jwt` would demand a JWT the api never issues.
    if (trigger.authType !== 'anonymous') {
      problems.push(`${at}.triggerConfig.authType \`${trigger.authType}\`: the api authenticates \`Authorization: Bearer\` itself, which FC's gateway would refuse with 403 before the function runs; use \`anonymous\``);
    }
    if (!local && !env.API_TOKENS_SHA256) problems.push(`${at}: an anonymous trigger needs the api's own check, but API_TOKENS_SHA256 is empty`);
  }
}

// `npm run check:s-yaml [-- --local]`
if (require.main === module) {
  const root = path.join(__dirname, '..');
  const args = process.argv.slice(2);
  const unknown = args.find((a) => a !== '--local');
  if (unknown) {
    console.error(`unknown argument \`${unknown}\`: check:s-yaml takes only --local`);
    process.exit(2);
  }
  const schema = JSON.parse(readFileSync(path.join(root, '..', 'shared', 'data', 'fc3-schema.json'), 'utf8')) as object;
  const report = checkSYaml(readFileSync(path.join(root, 's.yaml'), 'utf8'), schema, root, {
    env: process.env,
    local: args.includes('--local'),
    requireBuild: true,
    accountId: process.env.ALIBABA_CLOUD_ACCOUNT_ID || undefined,
  });
  for (const line of report.checked) console.log(`checked: ${line}`);
  for (const p of report.problems) console.error(`✗ ${p}`);
  console.log(report.problems.length === 0 ? 's.yaml: ok' : `s.yaml: ${report.problems.length} problem(s)`);
  process.exit(report.problems.length === 0 ? 0 : 1);
}
