// `npm start` as a user runs it: a separate process, stack.json as DESIGN §3.4 fixes it, an upload with
// any OSS client, and a clean stop on Ctrl-C.
import OSS from 'ali-oss';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sceneJpeg } from '../helpers/images';

const root = path.join(__dirname, '..', '..');

function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}; output:\n${output}`));
    });
  });
}

async function poll<T>(read: () => Promise<T>, attempts = 100, delayMs = 100): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await read();
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw lastError;
}

describe('npm start', () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-start-'));
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, prints how to upload, writes stack.json, scores an upload and stops on SIGINT', async () => {
    // Prepare
    child = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'local', 'start.ts')], {
      cwd: root,
      env: { ...process.env, LOCAL_PORT: '0', LOCAL_DIR: dir, LOG_LEVEL: 'warn' },
    });
    // Act
    const banner = await waitForOutput(child, /Ctrl-C stops everything/, 30_000);
    const info = JSON.parse(readFileSync(path.join(dir, 'stack.json'), 'utf8'));
    const client = new OSS({ endpoint: info.endpoints.oss, sldEnable: true, bucket: info.bucket, accessKeyId: info.accounts.data.accessKeyId, accessKeySecret: info.accounts.data.accessKeySecret } as OSS.Options);
    await client.put('incoming/from-start.jpg', await sceneJpeg(400, 300, 3));
    const sidecar = await poll(async () => JSON.parse(((await client.get('results/incoming/from-start.jpg.json')).content as Buffer).toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const exitCode = await exited;
    // Assess
    expect(banner).toMatch(/Upload a JPEG/);
    expect(Object.keys(info).sort()).toEqual(['accounts', 'apiToken', 'bucket', 'endpoints', 'immProject', 'region', 'roleArn'].sort());
    expect(Object.keys(info.endpoints).sort()).toEqual(['admin', 'api', 'imm', 'oss', 'sts']);
    expect(info.endpoints.oss).toMatch(/^http:\/\/localhost:\d+$/);
    expect(info.endpoints.sts).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.endpoints.imm).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.endpoints.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.endpoints.admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const account of ['data', 'media']) expect(Object.keys(info.accounts[account]).sort()).toEqual(['accessKeyId', 'accessKeySecret', 'uid']);
    expect(info).toMatchObject({ region: 'cn-hangzhou', bucket: 'test-bucket-2024', immProject: 'immtest', roleArn: expect.stringMatching(/^acs:ram::\d+:role\/imm-bridge-operator$/) });
    expect(sidecar).toMatchObject({ status: 'succeeded', score: expect.any(Number) });
    expect(exitCode).toBe(0);
  });
});
