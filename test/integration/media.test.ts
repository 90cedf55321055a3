// Media conversion end to end on the local stack: an uploaded video gets a `submitted` sidecar and an IMM
// task; over HTTP, /media/convert answers 202 and /tasks reports the task until it succeeds; the output is
// real H.264 (checked with ffprobe).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { callApi, partnerClient, readSidecar, startTestStack, waitForTask, type TestStack } from '../helpers/stack';

const run = promisify(execFile);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

describe('media conversion (local stack)', () => {
  let stack: TestStack;
  let dir: string;
  let sample: Buffer;

  beforeAll(async () => {
    stack = await startTestStack();
    dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-media-'));
    const file = path.join(dir, 'sample.mp4');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-y', file]);
    sample = readFileSync(file);
  });
  afterAll(async () => {
    await stack?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an uploaded video gets a submitted sidecar, and its task converts it to H.264 under converted/', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    // Act
    await partner.put('incoming/videos/clip.mov', sample);
    await stack.settled();
    const sidecar = await readSidecar(partner, 'incoming/videos/clip.mov');
    const task = await waitForTask(stack.info, 'MediaConvert', sidecar.taskId, 20000);
    const output = await partner.get('converted/incoming/videos/clip.mov.mp4');
    const probeFile = path.join(dir, 'out.mp4');
    writeFileSync(probeFile, output.content as Buffer);
    const probe = JSON.parse((await run(FFPROBE, ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', probeFile])).stdout);
    // Assess
    expect(sidecar).toMatchObject({ status: 'submitted', taskType: 'MediaConvert', target: `oss://${stack.info.bucket}/converted/incoming/videos/clip.mov.mp4` });
    expect(task).toMatchObject({ taskId: sidecar.taskId, status: 'Succeeded' });
    const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(probe.streams.some((s: { codec_name: string }) => s.codec_name === 'aac')).toBe(true);
    expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThan(0.3);
  });

  it('POST /media/convert answers 202 and GET /tasks follows the task to Succeeded', async () => {
    // Prepare
    await partnerClient(stack.info).put('incoming/api/clip.mp4', sample);
    // Act
    const submitted = await callApi(stack.info, 'POST', '/media/convert', { uri: `oss://${stack.info.bucket}/incoming/api/clip.mp4`, container: 'mp3' });
    const task = await waitForTask(stack.info, 'MediaConvert', submitted.body.taskId, 20000);
    const unknown = await callApi(stack.info, 'GET', '/tasks/MediaConvert/MediaConvert-does-not-exist');
    const wrongType = await callApi(stack.info, 'GET', '/tasks/Transcode/x');
    // Assess
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ taskType: 'MediaConvert', target: `oss://${stack.info.bucket}/converted/incoming/api/clip.mp4.mp3` });
    expect(task.status).toBe('Succeeded');
    expect(unknown.status).toBe(404);
    expect(wrongType.status).toBe(400);
  });
});
