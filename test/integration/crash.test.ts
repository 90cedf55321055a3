// kill -9 in the middle of a batch, as a new user would try it (issue 10, item 5): 30 uploads with IMM answering
// in 1.5 s, `npm start` killed with SIGKILL once about half have sidecars, then started again on the same data
// dir. The crashed attempts' claims stay live until their invocation deadline (the cloud's 60 s timeout, from
// s.yaml), so FC's quick retries meet them and give up; the reconciler (a timer trigger in s.yaml) re-drives
// those uploads once the claims expire. Every upload must end `succeeded`, with no IMM call made twice.
import OSS from 'ali-oss';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StackInfo } from '../../local/stack';
import { sceneJpeg } from '../helpers/images';
import { setFaults, stats } from '../helpers/stack';

const root = path.join(__dirname, '..', '..');
const UPLOADS = 30;

function startProcess(localDir: string, envFile: string, logFile: string): ChildProcess {
  // Its own process group, so that SIGKILL to the group takes the stack and any media process it started.
  const log = openSync(logFile, 'a');
  return spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['local/start.ts', '--env-file', envFile], {
    cwd: root,
    env: { ...process.env, LOCAL_DIR: localDir, LOCAL_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', log, log],
    detached: true,
  });
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number, delayMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

function partner(info: StackInfo): OSS {
  return new OSS({ endpoint: info.endpoints.oss, sldEnable: true, bucket: info.bucket, region: `oss-${info.region}`, accessKeyId: info.accounts.data.accessKeyId, accessKeySecret: info.accounts.data.accessKeySecret } as OSS.Options);
}

async function statuses(client: OSS, keys: string[]): Promise<(string | undefined)[]> {
  return Promise.all(
    keys.map((key) =>
      client.get(`results/${key}.json`).then(
        (r) => (JSON.parse((r.content as Buffer).toString()) as { status: string }).status,
        () => undefined,
      ),
    ),
  );
}

describe('kill -9 mid-batch, restart on the same data dir', () => {
  const localDir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-crash-'));
  const envFile = path.join(localDir, 'local.env');
  const stackFile = path.join(localDir, 'stack.json');
  const logFile = path.join(localDir, 'stack.log');
  /** What the stacks printed, for a failure message. */
  const logTail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '(no log)');
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    rmSync(localDir, { recursive: true, force: true });
  });

  it('ends every accepted upload succeeded, with no IMM call made twice', async () => {
    // Prepare: the reconciler ticks every 2 s (s.yaml reads RECONCILE_SCHEDULE from the env file).
    writeFileSync(envFile, 'RECONCILE_SCHEDULE=@every 2s\n');
    child = startProcess(localDir, envFile, logFile);
    const first = await until('stack.json', async () => (existsSync(stackFile) ? (JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo) : undefined), 120_000);
    await setFaults(first, [{ service: 'imm', action: 'DetectImageScore', rate: 0, status: 0, code: '', latencyMs: 1500 }]);
    const image = await sceneJpeg(96, 72, 5);
    const keys = Array.from({ length: UPLOADS }, (_, i) => `incoming/crash/${i}.jpg`);
    // Act: upload in two waves so that the kill lands with work in every state.
    await Promise.all(keys.slice(0, 15).map((key) => partner(first).put(key, image)));
    await until('15 sidecars', async () => ((await statuses(partner(first), keys)).filter(Boolean).length >= 15 ? true : undefined), 60_000, 50);
    await Promise.all(keys.slice(15).map((key) => partner(first).put(key, image)));
    // Killed while IMM is working on the second wave: those attempts die holding live claims.
    await until('IMM calls in flight', async () => {
      const { calls, succeeded } = await stats(first);
      return (calls['imm:DetectImageScore'] ?? 0) - (succeeded['imm:DetectImageScore'] ?? 0) >= 5 ? true : undefined;
    }, 30_000, 20);
    process.kill(-(child.pid as number), 'SIGKILL');
    await until('the killed stack to exit', async () => (child?.exitCode !== null || child?.signalCode ? true : undefined), 10_000);
    rmSync(stackFile, { force: true });
    child = startProcess(localDir, envFile, logFile);
    const second = await until('stack.json after restart', async () => (existsSync(stackFile) ? (JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo) : undefined), 120_000);
    const doneBeforeRestart = (await statuses(partner(second), keys)).filter((s) => s === 'succeeded').length;
    let last: (string | undefined)[] = [];
    const final = await until('every sidecar succeeded', async () => {
      last = await statuses(partner(second), keys);
      return last.every((s) => s === 'succeeded') ? last : undefined;
    }, 150_000, 500).catch(async (error: Error) => {
      throw new Error(`${error.message}; statuses ${JSON.stringify(last)}; stats ${JSON.stringify(await stats(second))}; log:\n${logTail()}`);
    });
    const immCalls = (await stats(second)).calls['imm:DetectImageScore'] ?? 0;
    // FC's quick retries met the dead attempts' live claims and gave up: the reconciler did that work.
    const deadLettered = readdirSync(path.join(localDir, 'data', 'fc-queue', 'dead')).length;
    // Assess
    expect(final).toEqual(keys.map(() => 'succeeded'));
    expect(doneBeforeRestart).toBeGreaterThanOrEqual(15);
    expect(doneBeforeRestart).toBeLessThan(UPLOADS);
    expect(immCalls).toBe(UPLOADS - doneBeforeRestart);
    expect(deadLettered).toBeGreaterThan(0);
  }, 300_000);
});
