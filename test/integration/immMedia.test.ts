// CreateMediaConvertTask and GetTask on the offline IMM, driven by the real @alicloud/openapi-core client:
// IMM reads the source and writes the result through the OSS emulator as its service role, so the bucket
// policy decides both, and ffmpeg does the conversion. The result is checked with ffprobe.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import OSS from 'ali-oss';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import Sts, { AssumeRoleRequest } from '@alicloud/sts20150401';
import { createImmEmulator, type ImmEmulator, type TaskInfo, type TaskNotification } from '../../local/imm';
import { createOssEmulator, type OssEmulator } from '../../local/oss';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { createStsEmulator } from '../../local/sts';
import { Telemetry } from '../../local/telemetry';
import { callImmRpc, rejection, type SdkCredentials as Credentials } from '../helpers/sdk';

const run = promisify(execFile);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const REGION = 'cn-hangzhou';
const BUCKET = 'media-bucket-2024';
const PROJECT = 'immtest';
const OPERATOR_ARN = `acs:ram::${MEDIA}:role/imm-bridge-operator`;
const PROJECT_ARN = `acs:imm:*:${MEDIA}:project/${PROJECT}`;
const IMM_PRINCIPAL = `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/*`;

const allow = (action: string | string[], resource = '*') => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const IMM_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const OPERATOR_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${DATA}:root`] } }] };
const READ_GRANT = { Effect: 'Allow', Principal: [IMM_PRINCIPAL], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${DATA}:${BUCKET}/incoming/*`] };
const WRITE_GRANT = { Effect: 'Allow', Principal: [IMM_PRINCIPAL], Action: ['oss:PutObject'], Resource: [`acs:oss:*:${DATA}:${BUCKET}/converted/*`] };

const TARGET = { URI: `oss://${BUCKET}/converted/x.mp4`, Container: 'mp4', Video: { TranscodeVideo: { Codec: 'h264', Resolution: '160x120', CRF: 28 } }, Audio: { TranscodeAudio: { Codec: 'aac', Bitrate: 64000 } } };

interface Probe {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
  format: { duration: string };
}

/** An IMM RPC call exactly as the generated SDK sends it (reference §1.2). */
async function callImm(port: number, credentials: Credentials, action: string, query: Record<string, string>): Promise<Record<string, unknown>> {
  return (await callImmRpc(port, credentials, action, query, REGION)).body;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('imm emulator media conversion', () => {
  let workDir: string;
  let sample: Buffer;
  let ram: Ram;
  let oss: OssEmulator;
  let ossServer: RunningServer;
  let stsServer: RunningServer;
  let immServer: RunningServer;
  let imm: ImmEmulator;
  let partner: OSS;
  let operator: Credentials;
  let reader: AccessKey;
  const notified: { notification: TaskNotification; task: TaskInfo }[] = [];

  const create = (query: Record<string, string> = {}, credentials: Credentials = operator) =>
    callImm(immServer.port, credentials, 'CreateMediaConvertTask', {
      ProjectName: PROJECT,
      Sources: JSON.stringify([{ URI: `oss://${BUCKET}/incoming/sample.mp4` }]),
      Targets: JSON.stringify([TARGET]),
      ...query,
    });
  const getTask = (taskId: string, taskType = 'MediaConvert') => callImm(immServer.port, operator, 'GetTask', { ProjectName: PROJECT, TaskType: taskType, TaskId: taskId });

  /** Polls GetTask until the task leaves Running (at most ~20 s). */
  async function finished(taskId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const task = await getTask(taskId);
      if (task.Status !== 'Running') return task;
      await sleep(100);
    }
    throw new Error(`task ${taskId} still running`);
  }

  async function probe(key: string): Promise<Probe> {
    const file = path.join(workDir, `probe-${path.basename(key)}`);
    writeFileSync(file, (await partner.get(key)).content as Buffer);
    const { stdout } = await run(FFPROBE, ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', file]);
    return JSON.parse(stdout) as Probe;
  }

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'imm-media-test-'));
    const sampleFile = path.join(workDir, 'sample.mp4');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-y', sampleFile]);
    sample = await readFile(sampleFile);

    const telemetry = new Telemetry();
    ram = new Ram(telemetry);
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
    const admin = ram.addUser(DATA, 'admin', [allow('oss:*')]);
    const fn = ram.addUser(DATA, 'fn', [allow('sts:AssumeRole', OPERATOR_ARN)]);
    reader = ram.addUser(MEDIA, 'task-reader', [allow('imm:GetTask', PROJECT_ARN)]);
    ram.addRole(MEDIA, 'imm-bridge-operator', OPERATOR_TRUST, [allow(['imm:CreateMediaConvertTask', 'imm:GetTask'], PROJECT_ARN), allow('ram:PassRole', `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`)]);
    ram.addRole(MEDIA, 'AliyunIMMDefaultRole', IMM_TRUST, [allow('oss:*')]);

    oss = createOssEmulator({ ram, telemetry, dataDir: path.join(workDir, 'oss'), region: REGION });
    await oss.buckets.create(BUCKET, DATA);
    ossServer = await oss.start(0);
    const sts = createStsEmulator({ ram, telemetry, region: REGION });
    stsServer = await sts.start(0);
    imm = createImmEmulator({
      ram,
      telemetry,
      region: REGION,
      sts: sts.service,
      ossEndpoint: `http://localhost:${ossServer.port}`,
      onTaskDone: (notification, task) => {
        notified.push({ notification, task });
      },
    });
    imm.projects.create(MEDIA, PROJECT);
    immServer = await imm.start(0);

    partner = new OSS({ endpoint: `http://localhost:${ossServer.port}`, sldEnable: true, bucket: BUCKET, region: `oss-${REGION}`, accessKeyId: admin.accessKeyId, accessKeySecret: admin.accessKeySecret } as OSS.Options);
    await partner.put('incoming/sample.mp4', sample);
    await partner.put('incoming/notes.mp4', Buffer.from('not a video at all'));

    const stsClient = new Sts(new $OpenApiUtil.Config({ accessKeyId: fn.accessKeyId, accessKeySecret: fn.accessKeySecret, regionId: REGION, endpoint: `127.0.0.1:${stsServer.port}`, protocol: 'http' }));
    const c = (await stsClient.assumeRole(new AssumeRoleRequest({ roleArn: OPERATOR_ARN, roleSessionName: 'on-upload', durationSeconds: 900 }))).body!.credentials!;
    operator = { accessKeyId: c.accessKeyId!, accessKeySecret: c.accessKeySecret!, securityToken: c.securityToken };
  });

  beforeEach(async () => {
    await oss.buckets.setPolicy(BUCKET, { Version: '1', Statement: [READ_GRANT, WRITE_GRANT] });
    notified.length = 0;
  });

  afterEach(async () => {
    await imm.tasks.idle();
  });

  afterAll(async () => {
    await Promise.all([immServer?.close(), stsServer?.close(), ossServer?.close()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('converts the source to H.264 160x120 with AAC audio and writes it to the target', async () => {
    // Act
    const created = await create({ UserData: '{"job":"x"}', Tags: JSON.stringify({ test: 'val1' }) });
    const task = await finished(created.TaskId as string);

    // Assess
    expect(created).toEqual({ RequestId: expect.any(String), TaskId: expect.stringMatching(/^MediaConvert-[0-9a-f-]{36}$/), EventId: expect.any(String) });
    expect(task).toEqual({
      RequestId: expect.any(String),
      ProjectName: PROJECT,
      TaskId: created.TaskId,
      TaskType: 'MediaConvert',
      EventId: created.EventId,
      Status: 'Succeeded',
      StartTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
      EndTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
      UserData: '{"job":"x"}',
      Tags: { test: 'val1' },
    });
    const { streams, format } = await probe('converted/x.mp4');
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 160, height: 120 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(Number(format.duration)).toBeCloseTo(2, 0);
    expect(Math.abs(Number(format.duration) - 2)).toBeLessThanOrEqual(0.3);
    expect(notified).toEqual([]);
  });

  it('hands the finished task to onTaskDone when the request has a Notification', async () => {
    // Prepare
    const notification = { MNS: { TopicName: 't' } };

    // Act
    const created = await create({ Notification: JSON.stringify(notification), Targets: JSON.stringify([{ ...TARGET, URI: `oss://${BUCKET}/converted/notified.mp4` }]) });
    await finished(created.TaskId as string);
    await imm.tasks.idle();

    // Assess
    expect(notified).toEqual([{ notification, task: expect.objectContaining({ TaskId: created.TaskId, TaskType: 'MediaConvert', Status: 'Succeeded', EndTime: expect.any(String) }) }]);
  });

  it('fails the task with AccessDenied, naming the grant, when the bucket policy does not allow oss:PutObject on converted/*', async () => {
    // Prepare
    await oss.buckets.setPolicy(BUCKET, { Version: '1', Statement: [READ_GRANT] });

    // Act
    const task = await finished((await create({ Targets: JSON.stringify([{ ...TARGET, URI: `oss://${BUCKET}/converted/denied.mp4` }]) })).TaskId as string);

    // Assess
    expect(task).toMatchObject({ Status: 'Failed', Code: 'AccessDenied' });
    expect(task.Message).toMatch(/the bucket `media-bucket-2024` denied IMM's service role/);
    expect(task.Message).toContain(IMM_PRINCIPAL);
    expect(task.Message).toContain(`may not oss:PutObject on \`oss://${BUCKET}/converted/denied.mp4\``);
    await expect(partner.head('converted/denied.mp4')).rejects.toMatchObject({ status: 404 });
  });

  it('fails the task with InvalidMediaFormat and ffmpeg\'s reason when the source is not media', async () => {
    // Act
    const task = await finished((await create({ Sources: JSON.stringify([{ URI: `oss://${BUCKET}/incoming/notes.mp4` }]) })).TaskId as string);

    // Assess
    expect(task).toMatchObject({ Status: 'Failed', Code: 'InvalidMediaFormat', Message: expect.stringMatching(/^ffmpeg failed: .*Invalid data found when processing input/) });
  });

  it('answers GetTask for an unknown id with 404 ResourceNotFound', async () => {
    // Act
    const error = await rejection(getTask('MediaConvert-00000000-0000-0000-0000-000000000000'));

    // Assess
    expect(error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound', data: { Message: expect.stringMatching(/^The specified resource Task is not found\./) } });
  });

  it('answers GetTask with the wrong TaskType for a known id with 400 InvalidArgument', async () => {
    // Prepare
    const created = await create({ Targets: JSON.stringify([{ ...TARGET, URI: `oss://${BUCKET}/converted/typed.mp4` }]) });

    // Act
    const error = await rejection(getTask(created.TaskId as string, 'OfficeConversion'));

    // Assess
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidArgument', data: { Message: expect.stringContaining('is a `MediaConvert` task') } });
  });

  it('refuses a caller without imm:CreateMediaConvertTask with 403', async () => {
    // Act
    const error = await rejection(create({}, { accessKeyId: reader.accessKeyId, accessKeySecret: reader.accessKeySecret }));

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'AccessDenied', data: { Message: expect.stringContaining('was denied imm:CreateMediaConvertTask') } });
  });

  it.each<{ case: string; query: Record<string, string>; message: RegExp }>([
    { case: 'Targets that are not JSON', query: { Targets: '[{"URI":' }, message: /^The parameter Targets is not valid JSON: / },
    { case: 'no Sources', query: { Sources: '' }, message: /^The parameter Sources is required but not provided\.$/ },
    { case: 'an unknown video codec', query: { Targets: JSON.stringify([{ ...TARGET, Video: { TranscodeVideo: { Codec: 'av1' } } }]) }, message: /Targets\[0\]\.Video\.TranscodeVideo\.Codec is not valid: `av1` is not one of h264, h265, vp9, copy/ },
    { case: 'a malformed Resolution', query: { Targets: JSON.stringify([{ ...TARGET, Video: { TranscodeVideo: { Codec: 'h264', Resolution: '160*120' } } }]) }, message: /Resolution is not valid/ },
    { case: 'a target URI that is not oss://', query: { Targets: JSON.stringify([{ ...TARGET, URI: 'https://example.com/x.mp4' }]) }, message: /Targets\[0\]\.URI/ },
  ])('answers $case with 400 InvalidArgument', async ({ query, message }) => {
    // Act
    const error = await rejection(create(query));

    // Assess
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidArgument', data: { Message: expect.stringMatching(message) } });
  });
});
