// Offline check of s.yaml: `s verify` needs the network, so we validate every fc3 resource against the
// fc3 props schema (../shared/data/fc3-schema.json) plus the checks the schema is too weak for
// (its triggerConfig is an anyOf that accepts any object).
import Ajv, { type ValidateFunction } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../shared/config';
import { ConfigError } from '../shared/errors';
import { resolveVariables, type Json } from '../local/sYaml';

export const REQUIRED_ENV = ['IMM_PROJECT', 'IMM_ROLE_ARN', 'IMM_ROLE_EXTERNAL_ID', 'REGION', 'ALLOWED_BUCKETS', 'INPUT_PREFIX', 'RESULTS_PREFIX', 'OUTPUT_PREFIX', 'API_TOKENS_SHA256'];
/**
 * `env` is the environment `s deploy` will run with: the `${env(…)}` values resolve from it, as the CLI would.
 */
export function validateSYaml(text: string, schema: object, repoRoot: string, env: NodeJS.ProcessEnv = {}): string[] {
  const problems: string[] = [];
  const doc = parse(text) as { edition?: unknown; resources?: Record<string, { component?: string; props?: Json }>; vars?: Record<string, Json> };
  if (doc.edition !== '3.0.0') problems.push('edition must be `3.0.0`');
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema, 'fc3');
  const validateProps = ajv.getSchema('fc3') as ValidateFunction;
  const triggerSchemas: Record<string, ValidateFunction> = {
    oss: ajv.getSchema('fc3#/definitions/IOssTriggerConfig') as ValidateFunction,
    http: ajv.getSchema('fc3#/definitions/IHttpTriggerConfig') as ValidateFunction,
    mns_topic: ajv.getSchema('fc3#/definitions/IMnsTriggerConfig') as ValidateFunction,
    timer: ajv.getSchema('fc3#/definitions/ITimerTriggerConfig') as ValidateFunction,
  };
  const resources = Object.entries(doc.resources ?? {});
  if (resources.length === 0) problems.push('no resources');
  for (const [name, resource] of resources) {
    const where = `resources.${name}`;
    if (resource.component !== 'fc3') problems.push(`${where}.component must be \`fc3\``);
    let props: Record<string, Json>;
    try {
      props = resolveVariables(resource.props ?? {}, doc.vars ?? {}, { env }) as Record<string, Json>;
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      continue;
    }
    if (!validateProps(props)) {
      for (const e of validateProps.errors ?? []) problems.push(`${where}.props${e.instancePath.replace(/\//g, '.')}: ${e.message}`);
    }
    if (props.runtime !== 'nodejs20') problems.push(`${where}.props.runtime must be \`nodejs20\``);
    if (props.handler !== 'index.handler') problems.push(`${where}.props.handler must be \`index.handler\``);
    const code = String(props.code ?? '');
    const fn = /^\.\/dist\/([\w-]+)$/.exec(code)?.[1];
    if (!fn) problems.push(`${where}.props.code must be \`./dist/<function>\`, got \`${code}\``);
    else if (!existsSync(path.join(repoRoot, 'functions', fn, 'index.ts'))) problems.push(`${where}.props.code points at \`${code}\` but functions/${fn}/index.ts does not exist`);
    if (typeof props.role !== 'string' || !/^acs:ram::\d+:role\/[\w.-]+$/.test(props.role)) problems.push(`${where}.props.role must be a role ARN`);
    const fnEnv = (props.environmentVariables ?? {}) as Record<string, Json>;
    for (const key of REQUIRED_ENV) if (!(key in fnEnv)) problems.push(`${where}.props.environmentVariables lacks ${key}`);
    for (const [key, value] of Object.entries(fnEnv)) if (typeof value !== 'string') problems.push(`${where}.props.environmentVariables.${key} must be a string`);
    // The functions' own configuration check, as their first invocation would run it with these values.
    try {
      loadConfig(Object.fromEntries(Object.entries(fnEnv).map(([key, value]) => [key, String(value)])));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.push(`${where}.props.environmentVariables: ${problem}`);
    }
    const triggers = (props.triggers ?? []) as Record<string, Json>[];
    triggers.forEach((trigger, i) => {
      const at = `${where}.props.triggers[${i}]`;
      const type = String(trigger.triggerType);
      const check = triggerSchemas[type];
      if (!check) {
        problems.push(`${at}.triggerType \`${type}\` is not one imm-bridge uses`);
        return;
      }
      if (!check(trigger.triggerConfig)) {
        for (const e of check.errors ?? []) problems.push(`${at}.triggerConfig${e.instancePath.replace(/\//g, '.')}: ${e.message}`);
      }
      const config = (trigger.triggerConfig ?? {}) as Record<string, Json>;
      if (type === 'oss') {
        const prefix = (config.filter as { key?: { prefix?: string } } | undefined)?.key?.prefix;
        if (prefix !== fnEnv.INPUT_PREFIX) problems.push(`${at}: the filter prefix \`${prefix}\` must equal INPUT_PREFIX \`${String(fnEnv.INPUT_PREFIX)}\``);
        if (typeof fnEnv.RESULTS_PREFIX === 'string' && typeof prefix === 'string' && fnEnv.RESULTS_PREFIX.startsWith(prefix)) problems.push(`${at}: results under the trigger prefix would loop`);
        if (typeof trigger.sourceArn !== 'string' || !/^acs:oss:[a-z0-9-]+:\d+:[a-z0-9-]+$/.test(trigger.sourceArn)) problems.push(`${at}.sourceArn must be \`acs:oss:<region>:<account>:<bucket>\``);
      }
      if (type === 'mns_topic') {
        const arn = typeof trigger.sourceArn === 'string' ? /^acs:mns:[a-z0-9-]+:(\d*):\/topics\/([A-Za-z][A-Za-z0-9-]{0,255})$/.exec(trigger.sourceArn) : null;
        if (!arn) problems.push(`${at}.sourceArn must be \`acs:mns:<region>:<account>:/topics/<name>\``);
        else {
          const [, owner, topic] = arn;
          if (topic !== fnEnv.IMM_NOTIFY_TOPIC) problems.push(`${at}: the trigger's topic \`${topic}\` must equal IMM_NOTIFY_TOPIC \`${String(fnEnv.IMM_NOTIFY_TOPIC)}\`, or IMM's notifications never reach it`);
          // IMM publishes to a topic of the account that owns the project: the operator role's account, or (same-account
          // mode, no IMM_ROLE_ARN) the deploying account, whose uid this offline check cannot know.
          const projectOwner = /^acs:ram::(\d+):role\//.exec(String(fnEnv.IMM_ROLE_ARN ?? ''))?.[1];
          const expected = projectOwner ? `the account of IMM_ROLE_ARN (${projectOwner})` : "this account's uid (IMM_ROLE_ARN is empty: same-account mode)";
          if (!owner) problems.push(`${at}.sourceArn names no account: set MEDIA_ACCOUNT_ID to ${expected}`);
          else if (projectOwner && owner !== projectOwner) problems.push(`${at}.sourceArn names the topic of account ${owner}, but IMM publishes to ${expected}`);
        }
        if (typeof trigger.invocationRole !== 'string' || !/^acs:ram::\d+:role\/[\w.-]+$/.test(trigger.invocationRole)) problems.push(`${at}.invocationRole must be the role MNS invokes the function with`);
        if (fn !== 'on-task-done') problems.push(`${at}: only on-task-done reads MNS topic events`);
      }
      if (type === 'http' && config.authType === 'anonymous') problems.push(`${at}: an anonymous HTTP trigger exposes the API to the internet; use \`function\` or \`jwt\``);
    });
  }
  return problems;
}

// `npm run check:s-yaml`
if (require.main === module) {
  const root = path.join(__dirname, '..');
  const schema = JSON.parse(readFileSync(path.join(root, '..', 'shared', 'data', 'fc3-schema.json'), 'utf8')) as object;
  const problems = validateSYaml(readFileSync(path.join(root, 's.yaml'), 'utf8'), schema, root, process.env);
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? 's.yaml: ok' : `s.yaml: ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
