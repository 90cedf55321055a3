// Deploys s.yaml into the local FC, as `s deploy` (fc3) followed by FC itself would: each fc3 resource becomes a
// function with its handler, code, timeout, memory, role, environment and asyncInvokeConfig, and each trigger is
// created only if FC would accept it. A mistake fails here with the s.yaml field it is about, or at the first
// invocation where that is when the cloud reports it (a wrong handler export).
//
// Rules and their sources (../shared/reference/deploy.md, fc.md):
// - fc3 zips `code` as it is and never builds (devsapp/fc3 src/subCommands/deploy/impl/function.ts); a build runs
//   only from the resource's `actions: pre-deploy`. So code without `index.js` is an unbuilt deploy.
// - fc3 does not create an `invocationRole` it is given; the role must exist in the deploying account.
// - Trigger sources belong to the deploying account: every FC doc and fc3 example points `sourceArn` at the
//   deploying account's own bucket or topic (cross-account MNS topic triggers: UNVERIFIED, treated as refused).
// - `authType: function` makes FC's gateway demand an Alibaba Cloud signature (local/fc.ts).
// - `jwt` is not emulated: the local FC refuses it rather than letting every request through.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FcRunner, Handler, HttpTriggerOptions } from './fc';
import type { MnsTopics } from './mns';
import type { Ram } from './ram';
import { parseSchedule } from './schedule';
import { parseArn, SYamlError, type Deployment, type FunctionSpecFromYaml, type HttpTriggerSpec } from './sYaml';

/** Where a function's code comes from: the build output s.yaml names, or (tests) the TypeScript it is built from. */
export type CodeSource = 'bundle' | 'source';

export interface DeployTarget {
  runner: FcRunner;
  ram: Ram;
  /** The deploying (data) account and its region. */
  accountId: string;
  region: string;
  /** The account that owns a bucket, or undefined when there is no such bucket. */
  bucketOwner(name: string): Promise<string | undefined>;
  topics: MnsTopics;
  /** The folder s.yaml lives in: `code` and action paths are relative to it. */
  rootDir: string;
  codeSource: CodeSource;
  /** Run each resource's `actions.pre-deploy` commands first, as `s deploy` does. */
  runActions: boolean;
  /**
   * What the local cloud adds to every function's environment: the emulators' endpoints (the cloud's DNS has no
   * equivalent), the log level, and a test's deliberate changes. Everything else comes from s.yaml.
   */
  environmentOverlay: Record<string, string>;
  logDestination?: { write(line: string): void };
  /** Verifies the Alibaba Cloud signature of a request to an `authType: function` trigger. */
  authenticateHttp: NonNullable<HttpTriggerOptions['authenticate']>;
}

export interface DeployedHttpTrigger {
  functionName: string;
  resource: string;
  options: HttpTriggerOptions;
}

export interface DeployResult {
  functions: FunctionSpecFromYaml[];
  httpTriggers: DeployedHttpTrigger[];
  /** Replaces every function with a fresh container (a cold start), with extra environment values. */
  redeploy(envOverrides?: Record<string, string>): void;
  /** The environment each function runs with, by resource name. */
  environments: Record<string, Record<string, string>>;
}

type FunctionModule = Record<string, unknown> & {
  createHandler?: (options: { env: Record<string, string>; logDestination?: { write(line: string): void } }) => Handler;
};

const RUNTIMES = new Set(['nodejs20', 'nodejs18', 'nodejs16', 'nodejs14']);

export async function deployFromSYaml(deployment: Deployment, target: DeployTarget): Promise<DeployResult> {
  const problems: string[] = [];
  for (const fn of deployment.functions) await checkFunction(fn, target, problems);
  const names = deployment.functions.map((f) => f.functionName);
  for (const name of new Set(names)) if (names.filter((n) => n === name).length > 1) problems.push(`functionName \`${name}\` is declared by more than one resource`);
  if (problems.length > 0) throw new SYamlError(problems);

  if (target.runActions) runPreDeployActions(deployment, target.rootDir);
  const modules = new Map(deployment.functions.map((fn) => [fn.resource, loadCode(fn, target)]));
  const missing = deployment.functions.filter((fn) => !modules.get(fn.resource));
  if (missing.length > 0) throw new SYamlError(missing.map((fn) => unbuiltProblem(fn, target)));

  const environments: Record<string, Record<string, string>> = {};
  const deployAll = (envOverrides: Record<string, string>) => {
    for (const fn of deployment.functions) {
      const env = { ...fn.environment, ...target.environmentOverlay, ...envOverrides };
      environments[fn.resource] = env;
      target.runner.deploy({
        name: fn.functionName,
        roleArn: fn.role ?? '',
        handler: handlerOf(fn, modules.get(fn.resource) as FunctionModule, env, target.logDestination),
        handlerName: fn.handler,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        asyncInvoke: fn.asyncInvoke,
      });
    }
  };
  deployAll({});

  const httpTriggers: DeployedHttpTrigger[] = [];
  for (const fn of deployment.functions) {
    for (const trigger of fn.triggers) {
      if (trigger.type === 'oss') {
        const bucket = (parseArn(trigger.sourceArn)?.resource ?? '').split('/')[0];
        target.runner.addOssTrigger({ functionName: fn.functionName, bucket, events: trigger.events, prefix: trigger.prefix, suffix: trigger.suffix });
      } else if (trigger.type === 'timer' && trigger.enable) {
        const schedule = parseSchedule(trigger.cronExpression);
        target.runner.addTimerTrigger({ functionName: fn.functionName, triggerName: trigger.name, next: schedule.next, payload: trigger.payload });
      } else if (trigger.type === 'mns_topic') {
        const arn = parseArn(trigger.sourceArn);
        const topicName = (arn?.resource ?? '').replace(/^\/topics\//, '');
        target.topics.addTrigger({ topicOwner: arn?.account ?? '', topicName, functionName: fn.functionName, subscriber: target.accountId, format: trigger.format === 'STREAM' ? 'STREAM' : 'JSON', filterTag: trigger.filterTag });
      } else if (trigger.type === 'http') {
        httpTriggers.push({ functionName: fn.functionName, resource: fn.resource, options: httpOptions(trigger, target) });
      }
    }
  }
  return { functions: deployment.functions, httpTriggers, redeploy: (overrides = {}) => deployAll(overrides), environments };
}

/** What FC (or fc3 before it) refuses for one function, each problem naming its s.yaml field. */
async function checkFunction(fn: FunctionSpecFromYaml, target: DeployTarget, problems: string[]): Promise<void> {
  const at = `resources.${fn.resource}.props`;
  if (fn.region !== target.region) problems.push(`${at}.region \`${fn.region}\`: the local cloud runs in \`${target.region}\` (the bucket and the IMM project must share the functions' region)`);
  if (!RUNTIMES.has(fn.runtime)) problems.push(`${at}.runtime \`${fn.runtime}\` is not a Node.js runtime FC 3.0 offers for this code; use \`nodejs20\``);
  if (!/^[^.\s/]+\.[A-Za-z_$][\w$]*$/.test(fn.handler)) problems.push(`${at}.handler \`${fn.handler}\` must be \`<file>.<export>\`, e.g. \`index.handler\``);
  if (!Number.isInteger(fn.timeoutSeconds) || fn.timeoutSeconds < 1 || fn.timeoutSeconds > 86400) problems.push(`${at}.timeout must be a whole number of seconds in [1, 86400]`);
  if (fn.asyncInvoke.onFailure) {
    // Not emulated, so refused rather than silently dropped: a user relying on it would never see it fire locally.
    problems.push(`${at}.asyncInvokeConfig.destinationConfig.onFailure is not emulated by the local FC: events that exhaust their retries go to <data dir>/fc-queue/dead/, and the reconciler re-drives their uploads`);
  }
  if (!fn.role) problems.push(`${at}.role is required: FC fills context.credentials only for a function with a role, and every imm-bridge function needs them`);
  else {
    const role = target.ram.findRole(fn.role);
    const owner = parseArn(fn.role)?.account;
    if (owner !== target.accountId) problems.push(`${at}.role \`${fn.role}\` belongs to account ${owner ?? '?'}, not the deploying account ${target.accountId}`);
    else if (!role) problems.push(`${at}.role \`${fn.role}\` does not exist in account ${target.accountId}: create it first (\`npm run cli -- policy generate\` writes its policies)`);
  }
  for (const [i, trigger] of fn.triggers.entries()) {
    const where = `${at}.triggers[${i}]`;
    if (trigger.type === 'other') {
      problems.push(`${where}.triggerType \`${trigger.triggerType}\` is not emulated by the local FC (oss, http, timer and mns_topic are)`);
      continue;
    }
    if (trigger.type === 'oss' || trigger.type === 'mns_topic') {
      const arn = parseArn(trigger.sourceArn);
      const service = trigger.type === 'oss' ? 'oss' : 'mns';
      if (!arn || arn.service !== service) {
        problems.push(`${where}.sourceArn \`${trigger.sourceArn}\` must be an ${service} ARN (${trigger.type === 'oss' ? 'acs:oss:<region>:<account>:<bucket>' : 'acs:mns:<region>:<account>:/topics/<name>'})`);
        continue;
      }
      if (arn.account !== target.accountId) {
        problems.push(`${where}.sourceArn names account ${arn.account || '(none)'}: FC triggers use resources of the deploying account (${target.accountId}); ${trigger.type === 'mns_topic' ? "for another account's topic, subscribe the api's HTTP endpoint instead (docs/deployed-shape.md, Task notifications)" : 'deploy the function in the bucket owner\'s account'}`);
        continue;
      }
      if (arn.region !== target.region) problems.push(`${where}.sourceArn is in region \`${arn.region}\`, the function in \`${target.region}\``);
      if (!trigger.invocationRole) problems.push(`${where}.invocationRole is required: ${trigger.type === 'oss' ? 'OSS' : 'MNS'} invokes the function through it (e.g. acs:ram::<account>:role/${trigger.type === 'oss' ? 'aliyunosseventnotificationrole' : 'aliyunmnsnotificationrole'})`);
      else if (parseArn(trigger.invocationRole)?.account !== target.accountId || !target.ram.findRole(trigger.invocationRole)) {
        problems.push(`${where}.invocationRole \`${trigger.invocationRole}\` does not exist in account ${target.accountId}; fc3 does not create a role it is given`);
      }
      if (trigger.type === 'oss') {
        const bucket = arn.resource.split('/')[0];
        const owner = await target.bucketOwner(bucket);
        if (owner === undefined) problems.push(`${where}.sourceArn: bucket \`${bucket}\` does not exist`);
        else if (owner !== target.accountId) problems.push(`${where}.sourceArn: bucket \`${bucket}\` belongs to account ${owner}`);
      }
    }
    if (trigger.type === 'timer') {
      try {
        parseSchedule(trigger.cronExpression);
      } catch (error) {
        problems.push(`${where}.triggerConfig.cronExpression ${(error as Error).message}`);
      }
    }
    if (trigger.type === 'http' && trigger.authType !== 'anonymous' && trigger.authType !== 'function') {
      problems.push(`${where}.triggerConfig.authType \`${trigger.authType}\` is not emulated by the local FC: use \`anonymous\` (the api checks its bearer tokens itself) or \`function\``);
    }
  }
}

function httpOptions(trigger: HttpTriggerSpec, target: DeployTarget): HttpTriggerOptions {
  return { authType: trigger.authType === 'function' ? 'function' : 'anonymous', methods: trigger.methods, authenticate: target.authenticateHttp };
}

function runPreDeployActions(deployment: Deployment, rootDir: string): void {
  // The same command for several resources (one build for every bundle) runs once.
  const done = new Set<string>();
  for (const fn of deployment.functions) {
    for (const action of fn.preDeploy) {
      const cwd = path.resolve(rootDir, action.path);
      const key = `${cwd}\n${action.run}`;
      if (done.has(key)) continue;
      done.add(key);
      try {
        execSync(action.run, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (error) {
        const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
        throw new SYamlError([`resources.${fn.resource}.actions.pre-deploy: \`${action.run}\` failed${stderr ? `: ${stderr}` : ''}`]);
      }
    }
  }
}

/** The code module FC would load, or undefined when the code folder holds nothing to run. */
function loadCode(fn: FunctionSpecFromYaml, target: DeployTarget): FunctionModule | undefined {
  const file = codeFile(fn, target);
  if (!file) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as FunctionModule;
}

/**
 * `bundle`: `<code>/<file>.js`, exactly what fc3 zips. `source` (tests): the TypeScript the build turns into it,
 * `functions/<name>/<file>.ts` for `code: ./dist/<name>`, so a test run needs no build yet keeps the code path honest.
 */
function codeFile(fn: FunctionSpecFromYaml, target: DeployTarget): string | undefined {
  const file = fn.handler.split('.')[0];
  if (target.codeSource === 'bundle') {
    const candidate = path.resolve(target.rootDir, fn.code, `${file}.js`);
    return existsSync(candidate) ? candidate : undefined;
  }
  const name = /^\.?\/?dist\/([\w-]+)\/?$/.exec(fn.code)?.[1];
  const candidate = name ? path.join(target.rootDir, 'functions', name, `${file}.ts`) : undefined;
  return candidate && existsSync(candidate) ? candidate : undefined;
}

function unbuiltProblem(fn: FunctionSpecFromYaml, target: DeployTarget): string {
  const file = `${fn.handler.split('.')[0]}.js`;
  if (target.codeSource === 'bundle') {
    return `resources.${fn.resource}.props.code \`${fn.code}\` has no ${file}: run \`npm run build\`, or give the resource \`actions: pre-deploy: - run: npm run build\` so that \`s deploy\` builds it`;
  }
  return `resources.${fn.resource}.props.code \`${fn.code}\` is not the build output of any function in functions/ (expected ./dist/<name> with functions/<name>/${fn.handler.split('.')[0]}.ts)`;
}

/**
 * The handler FC would call: the export `handler` names. The local FC runs every function in one process, so it
 * hands each its s.yaml environment through the module's `createHandler({env})` (every imm-bridge function has
 * one) instead of process.env; but the export s.yaml names must exist, or every invocation fails as FC's does.
 */
function handlerOf(fn: FunctionSpecFromYaml, module: FunctionModule, env: Record<string, string>, logDestination?: { write(line: string): void }): Handler {
  const exportName = fn.handler.split('.').slice(1).join('.');
  if (typeof module[exportName] !== 'function') {
    // FC loads the module and looks the export up at invocation, so the deploy succeeds and every call fails.
    return async () => {
      throw Object.assign(new Error(`Handler '${exportName}' is missing on module '${fn.handler.split('.')[0]}' (s.yaml resources.${fn.resource}.props.handler \`${fn.handler}\`)`), { code: 'HandlerNotFound' });
    };
  }
  if (typeof module.createHandler === 'function') return module.createHandler({ env, logDestination });
  return module[exportName] as Handler;
}
