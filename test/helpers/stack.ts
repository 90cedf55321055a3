// Starts a whole local stack on free ports in a temp dir, with the functions' logs collected in memory.
import OSS from 'ali-oss';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ADMIN_KEY_HEADER } from '../../local/admin';
import { PROJECT_S_YAML, startStack, type Stack, type StackInfo, type StackOptions } from '../../local/stack';

export interface TestStack extends Stack {
  logLines: string[];
  dataDir: string;
  dispose(): Promise<void>;
}

export interface TestStackOptions {
  retryDelaysMs?: number[];
  functionEnv?: Record<string, string>;
  deliveryCopies?: number;
  /** s.yaml as deployed (default: the project's); see sYamlWith() for a changed copy. */
  sYamlText?: string;
  /** Variables for s.yaml's `${env(…)}`, as `npm start -- --env-file` gives them. */
  deployEnv?: Record<string, string>;
  /** Reuse a data directory (a restart); dispose() then leaves it in place. */
  dataDir?: string;
  /** WebOffice token lifetimes of the local IMM, e.g. a 1-second access token to test expiry. */
  weboffice?: StackOptions['weboffice'];
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'imm-bridge-'));
  const logLines: string[] = [];
  const stack = await startStack({
    port: 0,
    dataDir,
    logLevel: 'info',
    logDestination: { write: (line: string) => void logLines.push(line) },
    retryDelaysMs: options.retryDelaysMs ?? [10, 20, 40],
    functionEnv: options.functionEnv,
    deliveryCopies: options.deliveryCopies,
    sYamlText: options.sYamlText,
    deployEnv: options.deployEnv,
    weboffice: options.weboffice,
  });
  return {
    ...stack,
    logLines,
    dataDir,
    dispose: async () => {
      await stack.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      assertNoSecretsLogged(stack, logLines);
    },
  };
}

/**
 * The project's s.yaml with some values changed, as a user would edit it: `sYamlWith({'resources.on-upload.props.timeout': 2})`.
 * A value of `undefined` deletes the field. Comments and the rest of the file stay as they are.
 */
export function sYamlWith(changes: Record<string, unknown>): string {
  const doc = parseDocument(readFileSync(PROJECT_S_YAML, 'utf8'));
  for (const [dotted, value] of Object.entries(changes)) {
    const keys = dotted.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    if (value === undefined) doc.deleteIn(keys);
    else doc.setIn(keys, value);
  }
  return doc.toString();
}

/** No AccessKeySecret, SecurityToken or API token the stack issued may appear in any function log line. */
export function assertNoSecretsLogged(stack: Stack, logLines: readonly string[]): void {
  const secrets = [...stack.ram.issuedSecrets(), stack.info.apiToken, stack.info.adminKey];
  const leaks = logLines.filter((line) => secrets.some((secret) => line.includes(secret)));
  if (leaks.length > 0) throw new Error(`${leaks.length} log line(s) contain a secret, e.g. ${leaks[0].slice(0, 200)}…`);
}

/** An ali-oss client acting as the data account's admin (the partner), V1-signed unless `v4`. */
export function partnerClient(info: StackInfo, v4 = false): OSS {
  return new OSS({
    endpoint: info.endpoints.oss,
    sldEnable: true,
    bucket: info.bucket,
    region: `oss-${info.region}`,
    accessKeyId: info.accounts.data.accessKeyId,
    accessKeySecret: info.accounts.data.accessKeySecret,
    authorizationV4: v4,
  } as OSS.Options);
}

export async function readSidecar(client: OSS, sourceKey: string): Promise<Record<string, any>> {
  const result = await client.get(`results/${sourceKey}.json`);
  return JSON.parse((result.content as Buffer).toString('utf8'));
}

export async function callApi(info: StackInfo, method: string, route: string, body?: unknown, token: string | null = info.apiToken) {
  const response = await fetch(`${info.endpoints.api}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

export interface Stats {
  calls: Record<string, number>;
  succeeded: Record<string, number>;
  invocations: Record<string, number>;
}

/** A request to the admin endpoint, with stack.json's admin key as the endpoint requires. */
export function adminFetch(info: StackInfo, route: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${info.endpoints.admin}${route}`, { ...init, headers: { ...(init.headers as Record<string, string>), [ADMIN_KEY_HEADER]: info.adminKey } });
}

export async function stats(info: StackInfo): Promise<Stats> {
  const response = await adminFetch(info, '/stats');
  if (response.status !== 200) throw new Error(`GET /stats answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Stats;
}

export async function setFaults(info: StackInfo, rules: unknown[]): Promise<void> {
  const response = await adminFetch(info, '/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
  if (response.status !== 200) throw new Error(`PUT /faults answered ${response.status}: ${await response.text()}`);
}

/** Polls `GET /tasks/{taskType}/{taskId}` over the api until the task is no longer Running, within `timeoutMs`. */
export async function waitForTask(info: StackInfo, taskType: string, taskId: string, timeoutMs: number): Promise<Record<string, any>> {
  for (let i = 0; i < timeoutMs / 100; i++) {
    const response = await callApi(info, 'GET', `/tasks/${taskType}/${taskId}`);
    if (response.status !== 200) throw new Error(`GET /tasks answered ${response.status}: ${JSON.stringify(response.body)}`);
    if (response.body.status !== 'Running') return response.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the task did not finish in ${timeoutMs / 1000} s`);
}
