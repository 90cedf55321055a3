// What FC runs is the esbuild bundle, not the TypeScript source: build the three functions (with their shims
// for modules a function never needs) into a temporary directory and drive the whole flow through them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startStack, type Stack } from '../../local/stack';
import { sceneJpeg } from '../helpers/images';
import { callApi, partnerClient, readSidecar } from '../helpers/stack';

const run = promisify(execFile);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const root = path.join(__dirname, '..', '..');

describe('bundled functions (dist) on the local stack', () => {
  let dir: string;
  let stack: Stack;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-bundles-'));
    await run(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--outdir', path.join(dir, 'dist')], { cwd: root });
    stack = await startStack({ port: 0, dataDir: path.join(dir, 'data'), codeSource: 'bundle', codeRoot: dir, logLevel: 'silent', retryDelaysMs: [10, 20, 40] });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are each under 1 MB (10^6 bytes), as DESIGN §4 asks', () => {
    // Act
    const sizes = ['on-upload', 'api', 'on-task-done', 'reconcile'].map((fn) => statSync(path.join(dir, 'dist', fn, 'index.js')).size);
    // Assess
    for (const size of sizes) expect(size).toBeLessThanOrEqual(1_000_000);
  });

  it('score an uploaded image, convert an uploaded video to a succeeded sidecar, and answer the API', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const video = path.join(dir, 'clip.mp4');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', video]);
    // Act
    await partner.put('incoming/bundle/photo.jpg', await sceneJpeg(320, 240));
    await partner.put('incoming/bundle/clip.mp4', video);
    await stack.quiescent();
    const photo = await readSidecar(partner, 'incoming/bundle/photo.jpg');
    const clip = await readSidecar(partner, 'incoming/bundle/clip.mp4');
    const scored = await callApi(stack.info, 'POST', '/images/score', { uri: `oss://${stack.info.bucket}/incoming/bundle/photo.jpg` });
    const status = await callApi(stack.info, 'GET', `/tasks/MediaConvert/${clip.taskId}`);
    // Assess
    expect(photo.error).toBeUndefined();
    expect(photo).toMatchObject({ status: 'succeeded', score: expect.any(Number) });
    expect(clip).toMatchObject({ status: 'succeeded', taskType: 'MediaConvert' });
    expect(scored).toMatchObject({ status: 200, body: { score: photo.score } });
    expect(status).toMatchObject({ status: 200, body: { taskId: clip.taskId, status: 'Succeeded' } });
    // The video's result came as a signed MNS push to the bundled api (its lazily loaded ali-oss wrote the sidecar).
    expect(stack.telemetry.stats().invocations).toMatchObject({ [stack.functionName('on-upload')]: 2 });
    expect(stack.telemetry.stats().invocations['on-task-done']).toBeUndefined();
    expect(stack.telemetry.stats().succeeded['mns:Push']).toBe(1);
  });
});
