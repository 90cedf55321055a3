// Media conversion end to end on the local stack: an uploaded video gets a `submitted` sidecar and an IMM
// task, whose MNS notification the topic pushes (signed, over HTTP) to the api, which makes the sidecar
// `succeeded` (or `failed`, with
// the grant to add when the bucket policy refuses IMM); over HTTP, /media/convert answers 202 and /tasks
// reports the task until it succeeds; the output is real H.264 (checked with ffprobe).
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

  it('an uploaded video goes from a submitted sidecar to succeeded, with H.264 under converted/', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    // Act
    await partner.put('incoming/videos/clip.mp4', sample);
    await stack.quiescent();
    const sidecar = await readSidecar(partner, 'incoming/videos/clip.mp4');
    const task = await waitForTask(stack.info, 'MediaConvert', sidecar.taskId, 20000);
    const output = await partner.get('converted/incoming/videos/clip.mp4.mp4');
    const probeFile = path.join(dir, 'out.mp4');
    writeFileSync(probeFile, output.content as Buffer);
    const probe = JSON.parse((await run(FFPROBE, ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', probeFile])).stdout);
    // Assess
    expect(sidecarWrites(stack, 'incoming/videos/clip.mp4')).toEqual(['submitted', 'succeeded']);
    expect(sidecar).toMatchObject({ status: 'succeeded', operation: 'CreateMediaConvertTask', taskType: 'MediaConvert', target: `oss://${stack.info.bucket}/converted/incoming/videos/clip.mp4.mp4` });
    expect(Date.parse(sidecar.submittedAt)).toBeLessThanOrEqual(Date.parse(sidecar.processedAt));
    expect(task).toMatchObject({ taskId: sidecar.taskId, status: 'Succeeded' });
    expect(stack.telemetry.stats().succeeded['mns:Push']).toBeGreaterThanOrEqual(1);
    expect(stack.telemetry.stats().invocations['on-task-done'] ?? 0).toBe(0);
    const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(probe.streams.some((s: { codec_name: string }) => s.codec_name === 'aac')).toBe(true);
    expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThan(0.3);
  });

  it('without the PutObject grant on converted/*, the sidecar says failed with AccessDenied and names the grant', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const policy = (await partner.getBucketPolicy(stack.info.bucket)).policy!;
    const withoutOutputs = { ...policy, Statement: (policy.Statement as { Sid?: string }[]).filter((s) => s.Sid !== 'ImmWritesOutputs') };
    await partner.putBucketPolicy(stack.info.bucket, withoutOutputs as never);
    try {
      // Act
      await partner.put('incoming/videos/denied.mp4', sample);
      await stack.quiescent();
      const sidecar = await readSidecar(partner, 'incoming/videos/denied.mp4');
      // Assess
      expect(sidecarWrites(stack, 'incoming/videos/denied.mp4')).toEqual(['submitted', 'failed']);
      expect(sidecar).toMatchObject({ status: 'failed', taskType: 'MediaConvert', error: { code: 'AccessDenied' } });
      expect(sidecar.error.message).toContain('oss:PutObject');
      expect(sidecar.error.hint).toContain('oss:PutObject');
      expect(sidecar.error.hint).toContain(`acs:oss:*:*:${stack.info.bucket}/converted/*`);
      expect(sidecar.error.hint).toContain('AliyunIMMDefaultRole');
      await expect(partner.head('converted/incoming/videos/denied.mp4.mp4')).rejects.toMatchObject({ status: 404 });
    } finally {
      await partner.putBucketPolicy(stack.info.bucket, policy);
    }
    // With the grant back, the same bytes uploaded again are converted (the failed task released its claim).
    await partner.put('incoming/videos/denied.mp4', sample);
    await stack.quiescent();
    expect(await readSidecar(partner, 'incoming/videos/denied.mp4')).toMatchObject({ status: 'succeeded' });
    expect((await partner.head('converted/incoming/videos/denied.mp4.mp4')).status).toBe(200);
  });

  it('without mns:PublishMessage for IMM\'s service role, the task succeeds but its notification is lost: the sidecar stays submitted', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const serviceRole = stack.ram.findRole(`acs:ram::${stack.info.accounts.media.uid}:role/AliyunIMMDefaultRole`)!;
    const policies = serviceRole.policies;
    serviceRole.policies = policies.filter((p) => !JSON.stringify(p).includes('mns:PublishMessage'));
    try {
      // Act
      await partner.put('incoming/videos/silent.mp4', sample);
      await stack.quiescent();
      const sidecar = await readSidecar(partner, 'incoming/videos/silent.mp4');
      const task = await waitForTask(stack.info, 'MediaConvert', sidecar.taskId, 20000);
      const denial = stack.telemetry.recentDecisions().find((d) => d.action === 'mns:PublishMessage' && d.decision !== 'Allow');
      // Assess
      expect(task.status).toBe('Succeeded');
      expect(sidecar.status).toBe('submitted');
      expect(denial).toMatchObject({ service: 'mns', principal: expect.stringContaining('assumed-role/AliyunIMMDefaultRole/'), resource: expect.stringContaining(':/topics/imm-bridge-task-done/messages') });
    } finally {
      serviceRole.policies = policies;
    }
  });

  it('an uploaded WAV becomes an MP3 under converted/ and its sidecar succeeds', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const wav = path.join(dir, 'tone.wav');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-y', wav]);
    // Act
    await partner.put('incoming/audio/tone.wav', readFileSync(wav));
    await stack.quiescent();
    const sidecar = await readSidecar(partner, 'incoming/audio/tone.wav');
    const output = path.join(dir, 'tone.mp3');
    writeFileSync(output, (await partner.get('converted/incoming/audio/tone.wav.mp3')).content as Buffer);
    const probe = JSON.parse((await run(FFPROBE, ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', output])).stdout);
    // Assess
    expect(sidecar).toMatchObject({ status: 'succeeded', taskType: 'MediaConvert', target: `oss://${stack.info.bucket}/converted/incoming/audio/tone.wav.mp3` });
    expect(probe.streams).toEqual([expect.objectContaining({ codec_type: 'audio', codec_name: 'mp3' })]);
    expect(Math.abs(Number(probe.format.duration) - 1)).toBeLessThan(0.2);
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

/** The statuses the functions wrote to a source's sidecar, in order, read from their log lines. */
function sidecarWrites(stack: TestStack, key: string): string[] {
  return stack.logLines
    .map((line) => JSON.parse(line) as { msg?: string; key?: string; sidecarKey?: string; status?: string })
    .filter((entry) => (entry.msg === 'sidecar written' || entry.msg === 'sidecar updated from the finished task') && entry.sidecarKey === `results/${key}.json`)
    .map((entry) => entry.status ?? '?');
}
