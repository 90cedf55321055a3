// CreateMediaConvertTask through ImmService without sockets or ffmpeg: the real RAM and STS service, an
// injected reader and writer standing in for OSS, and a fake ffmpeg that records its arguments.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DataAccess } from '../../local/imm/DataAccess';
import type { FfmpegRunner } from '../../local/imm/ffmpeg';
import { ImmService } from '../../local/imm/ImmService';
import type { ObjectReader } from '../../local/imm/ossReader';
import type { ObjectWriter } from '../../local/imm/ossWriter';
import { ProjectRegistry } from '../../local/imm/ProjectRegistry';
import { createTaskRegistry, TaskError, type TaskRegistry } from '../../local/imm/tasks';
import { Ram, type AccessKey } from '../../local/ram';
import { StsService } from '../../local/sts';
import { Telemetry } from '../../local/telemetry';

const MEDIA = '2000000000000002';
const REGION = 'cn-hangzhou';
const IMM_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const allow = (action: string | string[], resource = '*') => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const TARGET = { URI: 'oss://bkt/converted/a.mp4', Container: 'mp4', Video: { TranscodeVideo: { Codec: 'h264', Resolution: '160x120' } } };

describe('CreateMediaConvertTask in ImmService', () => {
  let operator: AccessKey;
  let projects: ProjectRegistry;
  let tasks: TaskRegistry;
  let written: { bucket: string; key: string; body: string; contentType?: string }[];
  let ffmpegCalls: string[][];
  let ffmpeg: jest.Mock<ReturnType<FfmpegRunner>, Parameters<FfmpegRunner>>;
  let writer: ObjectWriter;
  let service: ImmService;

  beforeEach(() => {
    const ram = new Ram(new Telemetry());
    ram.addAccount(MEDIA, 'media');
    ram.addRole(MEDIA, 'AliyunIMMDefaultRole', IMM_TRUST, [allow('oss:*')]);
    operator = ram.addUser(MEDIA, 'operator', [allow(['imm:CreateMediaConvertTask', 'imm:GetTask'], `acs:imm:*:${MEDIA}:project/immtest`), allow('ram:PassRole', `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`)]);
    projects = new ProjectRegistry(REGION);
    projects.create(MEDIA, 'immtest');
    tasks = createTaskRegistry();
    written = [];
    ffmpegCalls = [];
    // The fake ffmpeg writes the source's bytes plus the output name, so the upload can be traced.
    ffmpeg = jest.fn<ReturnType<FfmpegRunner>, Parameters<FfmpegRunner>>(async (args) => {
      ffmpegCalls.push(args);
      const input = args[args.indexOf('-i') + 1];
      const output = args[args.length - 1];
      await writeFile(output, `${await readFile(input, 'utf8')}->${output.split('/').pop()}`);
    });
    const reader: ObjectReader = async () => Buffer.from('source-bytes');
    writer = async (bucket, key, file, _credentials, contentType) => {
      written.push({ bucket, key, body: await readFile(file, 'utf8'), contentType });
    };
    service = new ImmService({ ram, projects, data: new DataAccess({ sts: new StsService(ram), reader, writer: (...args) => writer(...args) }), region: REGION, tasks, ffmpeg });
  });

  const create = (targets: unknown[]) =>
    service.call({
      action: 'CreateMediaConvertTask',
      caller: operator.caller,
      accessKeyId: operator.accessKeyId,
      params: { ProjectName: 'immtest', Sources: JSON.stringify([{ URI: 'oss://bkt/incoming/in.mp4' }]), Targets: JSON.stringify(targets) },
      sourceIp: '127.0.0.1',
      userAgent: 'test',
      requestId: 'R-1',
    });
  const tempDirOf = (args: string[]) => args[args.length - 1].replace(/\/target-\d+$/, '');

  it('converts each target in turn, uploads it with its content type and removes the temporary folder', async () => {
    // Act
    const { TaskId } = await create([TARGET, { URI: 'oss://bkt/converted/b.mp3', Container: 'mp3', Audio: { TranscodeAudio: { Codec: 'mp3' } } }]);
    await tasks.idle();

    // Assess
    expect(tasks.get(projects.get(MEDIA, 'immtest')!, TaskId as string)?.Status).toBe('Succeeded');
    expect(written).toEqual([
      { bucket: 'bkt', key: 'converted/a.mp4', body: 'source-bytes->target-0', contentType: 'video/mp4' },
      { bucket: 'bkt', key: 'converted/b.mp3', body: 'source-bytes->target-1', contentType: 'audio/mpeg' },
    ]);
    expect(ffmpegCalls).toHaveLength(2);
    expect(existsSync(tempDirOf(ffmpegCalls[0]))).toBe(false);
  });

  it('marks the task Failed with ffmpeg\'s code, uploads nothing and still removes the temporary folder', async () => {
    // Prepare
    ffmpeg.mockImplementationOnce(async (args) => {
      ffmpegCalls.push(args);
      throw new TaskError('MediaConvertFailed', 'ffmpeg failed: Error while opening encoder');
    });

    // Act
    const { TaskId } = await create([TARGET]);
    await tasks.idle();

    // Assess
    expect(tasks.get(projects.get(MEDIA, 'immtest')!, TaskId as string)).toMatchObject({ Status: 'Failed', Code: 'MediaConvertFailed', Message: 'ffmpeg failed: Error while opening encoder' });
    expect(written).toEqual([]);
    expect(existsSync(tempDirOf(ffmpegCalls[0]))).toBe(false);
  });

  it('marks the task Failed with AccessDenied naming oss:PutObject when OSS refuses the upload', async () => {
    // Prepare
    writer = async () => {
      throw Object.assign(new Error('You have no right to access this object because of bucket acl.'), { code: 'AccessDenied', status: 403 });
    };

    // Act
    const { TaskId } = await create([TARGET]);
    await tasks.idle();

    // Assess
    const task = tasks.get(projects.get(MEDIA, 'immtest')!, TaskId as string);
    expect(task).toMatchObject({ Status: 'Failed', Code: 'AccessDenied' });
    expect(task?.Message).toContain('may not oss:PutObject on `oss://bkt/converted/a.mp4`');
  });
});
