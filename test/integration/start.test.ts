// `npm start` as a user runs it: a separate process, stack.json as DESIGN §3.4 fixes it, an upload with
// any OSS client, and a clean stop on Ctrl-C.
import OSS from 'ali-oss';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { startStack } from '../../local/stack';
import { sceneJpeg } from '../helpers/images';
import { partnerClient, readSidecar } from '../helpers/stack';

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

  it('starts, prints how to upload, writes stack.json (0600), scores an upload and stops on SIGINT', async () => {
    // Prepare: a stale stack.json from an older run, readable by everyone.
    writeFileSync(path.join(dir, 'stack.json'), '{}', { mode: 0o644 });
    child = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'local', 'start.ts')], {
      cwd: root,
      env: { ...process.env, LOCAL_PORT: '0', LOCAL_DIR: dir, LOG_LEVEL: 'warn' },
    });
    // Act
    const banner = await waitForOutput(child, /Ctrl-C stops everything/, 30_000);
    const info = JSON.parse(readFileSync(path.join(dir, 'stack.json'), 'utf8'));
    const mode = statSync(path.join(dir, 'stack.json')).mode & 0o777;
    const adminStatus = (await fetch(`${info.endpoints.admin}/stats`, { headers: { 'x-admin-key': info.adminKey } })).status;
    const client = new OSS({ endpoint: info.endpoints.oss, sldEnable: true, bucket: info.bucket, accessKeyId: info.accounts.data.accessKeyId, accessKeySecret: info.accounts.data.accessKeySecret } as OSS.Options);
    await client.put('incoming/from-start.jpg', await sceneJpeg(400, 300, 3));
    const sidecar = await poll(async () => JSON.parse(((await client.get('results/incoming/from-start.jpg.json')).content as Buffer).toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const exitCode = await exited;
    // Assess
    expect(banner).toMatch(/Upload a JPEG/);
    // Only the owner can read the keys, and a captured log of the banner holds none of them.
    expect(mode).toBe(0o600);
    expect(banner).toContain(info.apiToken.slice(0, 4));
    expect(banner).toContain(`require('${path.join(dir, 'stack.json')}').apiToken`);
    for (const secret of [info.apiToken, info.adminKey, info.accounts.data.accessKeySecret, info.accounts.media.accessKeySecret]) expect(banner).not.toContain(secret);
    expect(adminStatus).toBe(200);
    expect(Object.keys(info).sort()).toEqual(['accounts', 'adminKey', 'apiToken', 'bucket', 'endpoints', 'immProject', 'region', 'roleArn'].sort());
    expect(Object.keys(info.endpoints).sort()).toEqual(['admin', 'api', 'fc', 'imm', 'oss', 'sts']);
    expect(info.endpoints.oss).toMatch(/^http:\/\/localhost:\d+$/);
    expect(info.endpoints.sts).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.endpoints.imm).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.endpoints.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.endpoints.admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.endpoints.fc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const account of ['data', 'media']) expect(Object.keys(info.accounts[account]).sort()).toEqual(['accessKeyId', 'accessKeySecret', 'uid']);
    expect(info).toMatchObject({ region: 'cn-hangzhou', bucket: 'test-bucket-2024', immProject: 'immtest', roleArn: expect.stringMatching(/^acs:ram::\d+:role\/imm-bridge-operator$/) });
    expect(sidecar).toMatchObject({ status: 'succeeded', score: expect.any(Number) });
    expect(exitCode).toBe(0);
    // Its keys died with the run: a stale stack.json would only mislead the next client.
    expect(existsSync(path.join(dir, 'stack.json'))).toBe(false);
  });

  it('lets a running conversion finish on Ctrl-C, so its sidecar ends succeeded, not failed', async () => {
    // Prepare: a video long enough to be mid-transcode when the terminal's Ctrl-C reaches the whole process group.
    const ctrlCDir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-ctrlc-'));
    const video = path.join(ctrlCDir, 'long.mp4');
    const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    await promisify(execFile)(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=25', '-t', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', video]);
    const started = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'local', 'start.ts')], {
      cwd: root,
      env: { ...process.env, LOCAL_PORT: '0', LOCAL_DIR: ctrlCDir, LOG_LEVEL: 'warn' },
      detached: true,
    });
    child = started;
    try {
      await waitForOutput(started, /Ctrl-C stops everything/, 30_000);
      const info = JSON.parse(readFileSync(path.join(ctrlCDir, 'stack.json'), 'utf8'));
      const partner = partnerClient(info, true);
      await partner.put('incoming/long.mp4', video);
      await poll(async () => {
        const sidecar = await readSidecar(partner, 'incoming/long.mp4');
        if (sidecar.status !== 'submitted') throw new Error(`sidecar is ${sidecar.status}`);
      });
      // Act: Ctrl-C in a terminal signals every process of the foreground group, ffmpeg included unless it left it.
      const exited = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));
      process.kill(-started.pid!, 'SIGINT');
      const exitCode = await exited;
      const restarted = await startStack({ port: 0, dataDir: path.join(ctrlCDir, 'data'), logLevel: 'silent' });
      try {
        const client = partnerClient(restarted.info, true);
        const sidecar = await readSidecar(client, 'incoming/long.mp4');
        const output = await client.head('converted/incoming/long.mp4.mp4');
        // Assess
        expect(exitCode).toBe(0);
        expect(sidecar).toMatchObject({ status: 'succeeded', taskType: 'MediaConvert' });
        expect(output.status).toBe(200);
      } finally {
        await restarted.close();
      }
    } finally {
      // The whole group: tsx's child (which holds the ports) and any media process it started.
      if (started.exitCode === null) {
        try {
          process.kill(-started.pid!, 'SIGKILL');
        } catch {
          started.kill('SIGKILL');
        }
      }
      rmSync(ctrlCDir, { recursive: true, force: true });
    }
  }, 120_000);
});
