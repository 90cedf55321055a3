// Reads s.yaml the way `s deploy` does (Serverless Devs 3, fc3 component), offline: resolves its variables and
// turns every fc3 resource into the function and triggers FC would create. The local stack deploys from this
// model, and `npm run check:s-yaml` validates the same model, so the two never read s.yaml differently.
//
// Sources: the Serverless Devs yaml spec (Serverless-Devs/Serverless-Devs docs/zh/yaml.md: `vars`, `${vars.x}`,
// `${env('NAME', 'default')}`, `${config('AccountID')}`, per-resource `actions`) and the fc3 props schema
// (../shared/data/fc3-schema.json, devsapp/fc3 src/schema.json). Defaults that fc3 applies when a prop is absent
// (timeout 3 s, memory 512 MB, 3 async retries) come from ../shared/reference/fc.md with their sources.
import { parse } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface ResolveContext {
  /** The environment `s deploy` runs with: `${env(…)}` reads it. */
  env: Readonly<Record<string, string | undefined>>;
  /** The deploying account's uid, what `${config('AccountID')}` gives; undefined when it cannot be known offline. */
  accountId?: string;
}

/** Every problem found, each naming the s.yaml field it is about, so one run shows everything to fix. */
export class SYamlError extends Error {
  constructor(readonly problems: string[]) {
    super(`s.yaml cannot be deployed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SYamlError';
  }
}

/** The account uid `${config('AccountID')}` resolves to when the real one is unknown (the offline check). */
export const UNKNOWN_ACCOUNT_ID = '1000000000000001';

/** Resolves `${vars.x}`, `${env('N', 'default')}` and `${config('AccountID')}` the way the `s` CLI does. */
export function resolveVariables(node: Json, vars: Record<string, Json>, context: ResolveContext): Json {
  if (typeof node === 'string') {
    // A string that is one whole `${vars.x}` takes the variable's value as it is (a map stays a map).
    const whole = /^\$\{vars\.([\w.]+)\}$/.exec(node);
    if (whole) return resolveVariables(lookup(vars, whole[1]), vars, context);
    return node.replace(/\$\{([^}]+)\}/g, (_m, expr: string) => {
      const v = /^vars\.([\w.]+)$/.exec(expr);
      if (v) return String(resolveVariables(lookup(vars, v[1]), vars, context));
      const e = /^env\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"])?\s*\)$/.exec(expr);
      if (e) return context.env[e[1]] ?? e[2] ?? '';
      if (/^config\(\s*['"]AccountID['"]\s*\)$/.test(expr)) return context.accountId ?? UNKNOWN_ACCOUNT_ID;
      throw new Error(`unsupported expression \`\${${expr}}\``);
    });
  }
  if (Array.isArray(node)) return node.map((n) => resolveVariables(n, vars, context));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveVariables(v, vars, context)]));
  return node;
}

function lookup(vars: Record<string, Json>, dotted: string): Json {
  let node: Json = vars;
  for (const part of dotted.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node) || !(part in node)) throw new Error(`undefined variable \`vars.${dotted}\``);
    node = node[part];
  }
  return node;
}

export type OssTriggerSpec = { type: 'oss'; name: string; sourceArn: string; invocationRole?: string; events: string[]; prefix: string; suffix: string };
export type HttpTriggerSpec = { type: 'http'; name: string; authType: string; methods: string[] };
export type TimerTriggerSpec = { type: 'timer'; name: string; cronExpression: string; enable: boolean; payload: string };
export type MnsTopicTriggerSpec = { type: 'mns_topic'; name: string; sourceArn: string; invocationRole?: string; format: string; strategy: string; filterTag?: string };
export type OtherTriggerSpec = { type: 'other'; triggerType: string; name: string };
export type TriggerSpec = OssTriggerSpec | HttpTriggerSpec | TimerTriggerSpec | MnsTopicTriggerSpec | OtherTriggerSpec;

export interface AsyncInvokeSpec {
  /** Retries after the first attempt (fc3 `maxAsyncRetryAttempts`, 0–8, FC's default 3). */
  maxRetries: number;
  /** An event older than this is dropped instead of delivered (`maxAsyncEventAgeInSeconds`). */
  maxEventAgeSeconds: number;
  /** `destinationConfig.onFailure.destination`, an ARN. */
  onFailure?: string;
}

export interface FunctionSpecFromYaml {
  /** The resource's key under `resources:`, e.g. `on-upload`. */
  resource: string;
  functionName: string;
  region: string;
  runtime: string;
  /** `code` as written, relative to s.yaml's folder. */
  code: string;
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  role?: string;
  environment: Record<string, string>;
  asyncInvoke: AsyncInvokeSpec;
  triggers: TriggerSpec[];
  /** `actions.pre-deploy` commands, run in order in `path` (relative to s.yaml) before the code is zipped. */
  preDeploy: { run: string; path: string }[];
  /** The resolved props, for checks that read more than this model carries. */
  props: Record<string, Json>;
}

export interface Deployment {
  name: string;
  functions: FunctionSpecFromYaml[];
}

// fc3 defaults for props that s.yaml leaves out (reference/fc.md: timeout 3, memory 512; async retries 3 and the
// schema's maxAsyncEventAgeInSeconds default 18000).
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 512;
const DEFAULT_ASYNC_RETRIES = 3;
const DEFAULT_MAX_EVENT_AGE_SECONDS = 18000;

type Doc = { edition?: unknown; name?: unknown; resources?: Record<string, { component?: string; props?: Json; actions?: Json }>; vars?: Record<string, Json> };

/** Parses and resolves s.yaml into the functions FC would run; throws SYamlError naming every field at fault. */
export function loadDeployment(text: string, context: ResolveContext): Deployment {
  const problems: string[] = [];
  let doc: Doc;
  try {
    doc = (parse(text) ?? {}) as Doc;
  } catch (error) {
    throw new SYamlError([`s.yaml is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (doc.edition !== '3.0.0') problems.push('edition must be `3.0.0` (Serverless Devs 3)');
  const functions: FunctionSpecFromYaml[] = [];
  const resources = Object.entries(doc.resources ?? {});
  if (resources.length === 0) problems.push('resources: none declared');
  for (const [resource, raw] of resources) {
    const where = `resources.${resource}`;
    if (raw?.component !== 'fc3') {
      problems.push(`${where}.component must be \`fc3\`, got \`${String(raw?.component)}\``);
      continue;
    }
    let props: Record<string, Json>;
    let actions: Json;
    try {
      props = resolveVariables(raw.props ?? {}, doc.vars ?? {}, context) as Record<string, Json>;
      actions = resolveVariables(raw.actions ?? null, doc.vars ?? {}, context);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      continue;
    }
    const spec = functionSpec(resource, props, actions, problems);
    if (spec) functions.push(spec);
  }
  if (problems.length > 0) throw new SYamlError(problems);
  return { name: String(doc.name ?? ''), functions };
}

function functionSpec(resource: string, props: Record<string, Json>, actions: Json, problems: string[]): FunctionSpecFromYaml | undefined {
  const where = `resources.${resource}.props`;
  const before = problems.length;
  const text = (key: string): string => {
    const value = props[key];
    if (typeof value !== 'string' || value === '') problems.push(`${where}.${key} is required (a string)`);
    return typeof value === 'string' ? value : '';
  };
  const functionName = text('functionName');
  const region = text('region');
  const runtime = text('runtime');
  const code = text('code');
  const handler = text('handler');
  const environment: Record<string, string> = {};
  const rawEnv = props.environmentVariables ?? {};
  if (!rawEnv || typeof rawEnv !== 'object' || Array.isArray(rawEnv)) problems.push(`${where}.environmentVariables must be a map of strings`);
  else {
    for (const [key, value] of Object.entries(rawEnv)) {
      if (typeof value !== 'string') problems.push(`${where}.environmentVariables.${key} must be a string (quote it in s.yaml)`);
      else environment[key] = value;
    }
  }
  const asyncConfig = (props.asyncInvokeConfig ?? {}) as Record<string, Json>;
  const onFailure = ((asyncConfig.destinationConfig as Record<string, Json> | undefined)?.onFailure as Record<string, Json> | undefined)?.destination;
  const triggers = Array.isArray(props.triggers) ? props.triggers.map((t, i) => triggerSpec(t, `${where}.triggers[${i}]`, problems)) : [];
  if (props.triggers !== undefined && !Array.isArray(props.triggers)) problems.push(`${where}.triggers must be a list`);
  if (problems.length > before) return undefined;
  return {
    resource,
    functionName,
    region,
    runtime,
    code,
    handler,
    timeoutSeconds: typeof props.timeout === 'number' ? props.timeout : DEFAULT_TIMEOUT_SECONDS,
    memoryMb: typeof props.memorySize === 'number' ? props.memorySize : DEFAULT_MEMORY_MB,
    role: typeof props.role === 'string' && props.role !== '' ? props.role : undefined,
    environment,
    asyncInvoke: {
      maxRetries: typeof asyncConfig.maxAsyncRetryAttempts === 'number' ? asyncConfig.maxAsyncRetryAttempts : DEFAULT_ASYNC_RETRIES,
      maxEventAgeSeconds: typeof asyncConfig.maxAsyncEventAgeInSeconds === 'number' ? asyncConfig.maxAsyncEventAgeInSeconds : DEFAULT_MAX_EVENT_AGE_SECONDS,
      onFailure: typeof onFailure === 'string' ? onFailure : undefined,
    },
    triggers: triggers.filter((t): t is TriggerSpec => t !== undefined),
    preDeploy: preDeployActions(actions, `resources.${resource}.actions`, problems),
    props,
  };
}

function triggerSpec(raw: Json, at: string, problems: string[]): TriggerSpec | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${at} must be a map`);
    return undefined;
  }
  const name = typeof raw.triggerName === 'string' ? raw.triggerName : '';
  if (!name) problems.push(`${at}.triggerName is required`);
  const config = (raw.triggerConfig && typeof raw.triggerConfig === 'object' && !Array.isArray(raw.triggerConfig) ? raw.triggerConfig : {}) as Record<string, Json>;
  const invocationRole = typeof raw.invocationRole === 'string' && raw.invocationRole !== '' ? raw.invocationRole : undefined;
  const sourceArn = typeof raw.sourceArn === 'string' ? raw.sourceArn : '';
  switch (raw.triggerType) {
    case 'oss': {
      const key = ((config.filter as Record<string, Json> | undefined)?.key ?? {}) as Record<string, Json>;
      const events = Array.isArray(config.events) ? config.events.filter((e): e is string => typeof e === 'string') : [];
      if (events.length === 0) problems.push(`${at}.triggerConfig.events must list at least one event, e.g. \`oss:ObjectCreated:*\``);
      return { type: 'oss', name, sourceArn, invocationRole, events, prefix: typeof key.prefix === 'string' ? key.prefix : '', suffix: typeof key.suffix === 'string' ? key.suffix : '' };
    }
    case 'http': {
      const methods = Array.isArray(config.methods) ? config.methods.filter((m): m is string => typeof m === 'string').map((m) => m.toUpperCase()) : [];
      if (typeof config.authType !== 'string') problems.push(`${at}.triggerConfig.authType is required: anonymous, function or jwt`);
      if (methods.length === 0) problems.push(`${at}.triggerConfig.methods must list the HTTP methods the trigger accepts`);
      return { type: 'http', name, authType: String(config.authType ?? ''), methods };
    }
    case 'timer': {
      if (typeof config.cronExpression !== 'string' || config.cronExpression.trim() === '') problems.push(`${at}.triggerConfig.cronExpression is required, e.g. \`@every 5m\` or \`0 */5 * * * *\``);
      return { type: 'timer', name, cronExpression: String(config.cronExpression ?? ''), enable: config.enable !== false, payload: typeof config.payload === 'string' ? config.payload : '' };
    }
    case 'mns_topic':
      return {
        type: 'mns_topic',
        name,
        sourceArn,
        invocationRole,
        format: String(config.notifyContentFormat ?? ''),
        strategy: String(config.notifyStrategy ?? ''),
        filterTag: typeof config.filterTag === 'string' ? config.filterTag : undefined,
      };
    default:
      return { type: 'other', triggerType: String(raw.triggerType), name };
  }
}

function preDeployActions(actions: Json, at: string, problems: string[]): { run: string; path: string }[] {
  if (actions === null || actions === undefined) return [];
  const list = typeof actions === 'object' && !Array.isArray(actions) ? actions['pre-deploy'] : undefined;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.push(`${at}.pre-deploy must be a list of \`- run: <command>\` entries`);
    return [];
  }
  return list.flatMap((entry, i) => {
    const e = (entry ?? {}) as Record<string, Json>;
    if (typeof e.run !== 'string' || e.run.trim() === '') {
      problems.push(`${at}.pre-deploy[${i}].run must be a command`);
      return [];
    }
    return [{ run: e.run, path: typeof e.path === 'string' ? e.path : './' }];
  });
}

/** `acs:<service>:<region>:<account>:<resource>` → its parts (the account may be empty). */
export function parseArn(arn: string): { service: string; region: string; account: string; resource: string } | undefined {
  const m = /^acs:([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$/.exec(arn);
  return m ? { service: m[1], region: m[2], account: m[3], resource: m[4] } : undefined;
}
