// The offline IMM's task registry and media-target parsing, without sockets or ffmpeg.
import { ImmError } from '../../local/imm/errors';
import { ffmpegArgs, parseSources, parseTargets } from '../../local/imm/mediaTargets';
import type { Project } from '../../local/imm/ProjectRegistry';
import { createTaskRegistry, TaskError, type TaskInfo, type TaskNotification } from '../../local/imm/tasks';

const PROJECT: Project = { accountId: '2000000000000002', name: 'immtest', region: 'cn-hangzhou', serviceRole: 'AliyunIMMDefaultRole', createdAt: '2026-01-01T00:00:00.000Z' };
const OTHER: Project = { ...PROJECT, name: 'other' };

describe('createTaskRegistry', () => {
  it('records a Running task at once and Succeeded once the work resolves', async () => {
    // Prepare
    const tasks = createTaskRegistry({ now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));

    // Act
    const started = tasks.start({ project: PROJECT, type: 'MediaConvert', userData: 'u', tags: { a: 'b' } }, () => gate);
    const running = tasks.get(PROJECT, started.TaskId);
    release();
    await tasks.idle();

    // Assess
    expect(started).toMatchObject({ TaskId: expect.stringMatching(/^MediaConvert-[0-9a-f-]{36}$/), Status: 'Running', StartTime: '2026-01-02T03:04:05.678000000Z', UserData: 'u', Tags: { a: 'b' } });
    expect(running?.Status).toBe('Running');
    expect(tasks.get(PROJECT, started.TaskId)).toMatchObject({ Status: 'Succeeded', EndTime: '2026-01-02T03:04:05.678000000Z' });
    expect(tasks.get(PROJECT, started.TaskId)).not.toHaveProperty('Code');
    expect(tasks.get(OTHER, started.TaskId)).toBeUndefined();
  });

  it.each([
    { case: 'a TaskError', error: new TaskError('InvalidMediaFormat', 'ffmpeg failed: x'), code: 'InvalidMediaFormat', message: 'ffmpeg failed: x' },
    { case: 'an ImmError', error: new ImmError(403, 'AccessDenied', 'File access forbidden: y'), code: 'AccessDenied', message: 'File access forbidden: y' },
    { case: 'anything else', error: new Error('boom'), code: 'InternalError', message: expect.stringContaining('see the emulator log') },
  ])('marks the task Failed with the code of $case', async ({ error, code, message }) => {
    // Prepare
    const tasks = createTaskRegistry();
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const { TaskId } = tasks.start({ project: PROJECT, type: 'MediaConvert' }, async () => {
      throw error;
    });
    await tasks.idle();
    spy.mockRestore();

    // Assess
    expect(tasks.get(PROJECT, TaskId)).toMatchObject({ Status: 'Failed', Code: code, Message: message, EndTime: expect.any(String) });
  });

  it('calls onTaskDone with the final task only for tasks with a Notification, and survives a failing hook', async () => {
    // Prepare
    const calls: [TaskNotification, TaskInfo][] = [];
    const tasks = createTaskRegistry({
      onTaskDone: (notification, task) => {
        calls.push([notification, task]);
        throw new Error('mns is down');
      },
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    tasks.start({ project: PROJECT, type: 'MediaConvert' }, async () => undefined);
    const { TaskId } = tasks.start({ project: PROJECT, type: 'MediaConvert', notification: { MNS: { TopicName: 't' } } }, async () => undefined);
    await tasks.idle();
    spy.mockRestore();

    // Assess
    expect(calls).toEqual([[{ MNS: { TopicName: 't' } }, expect.objectContaining({ TaskId, Status: 'Succeeded' })]]);
    expect(tasks.get(PROJECT, TaskId)?.Status).toBe('Succeeded');
  });

  it('runs at most `concurrency` tasks at once', async () => {
    // Prepare
    const tasks = createTaskRegistry({ concurrency: 2 });
    let running = 0;
    let most = 0;
    const work = async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
    };

    // Act
    for (let i = 0; i < 5; i++) tasks.start({ project: PROJECT, type: 'MediaConvert' }, work);
    await tasks.idle();

    // Assess
    expect(most).toBe(2);
  });
});

describe('media targets', () => {
  const target = { URI: 'oss://bkt/converted/x.mp4', Container: 'mp4', Video: { TranscodeVideo: { Codec: 'h264', Resolution: '160x120', CRF: 28 } }, Audio: { TranscodeAudio: { Codec: 'aac', Bitrate: 64000, SampleRate: 44100, Channel: 1 } } };

  it('builds ffmpeg arguments from a source and a target', () => {
    // Prepare
    const source = parseSources([{ URI: 'oss://bkt/in.mp4', StartTime: 1, Duration: 2 }]);
    const [parsed] = parseTargets([target]);

    // Act
    const args = ffmpegArgs(source, parsed, '/tmp/in', '/tmp/out');

    // Assess
    expect(args.join(' ')).toBe(
      '-hide_banner -nostdin -nostats -loglevel error -y -ss 1 -t 2 -i /tmp/in -c:v libx264 -vf scale=160:120 -crf 28 -pix_fmt yuv420p -c:a aac -b:a 64000 -ar 44100 -ac 1 -f mp4 /tmp/out',
    );
  });

  it.each([
    { case: 'no Video or Audio copies both', target: { URI: 'oss://bkt/o.mkv', Container: 'mkv' }, expected: '-c:v copy -c:a copy -f matroska' },
    { case: 'h264 without CRF or Bitrate uses CRF 23', target: { URI: 'oss://bkt/o.mp4', Container: 'mp4', Video: { TranscodeVideo: { Codec: 'h264' } } }, expected: '-c:v libx264 -crf 23' },
    { case: 'a Bitrate replaces CRF', target: { URI: 'oss://bkt/o.mp4', Container: 'mp4', Video: { TranscodeVideo: { Codec: 'vp9', Bitrate: 500000 } } }, expected: '-c:v libvpx-vp9 -b:v 500000 -c:a' },
    { case: 'an audio container drops video', target: { URI: 'oss://bkt/o.mp3', Container: 'mp3', Audio: { TranscodeAudio: { Codec: 'mp3' } } }, expected: '-vn -c:a libmp3lame -f mp3' },
    { case: 'DisableAudio drops audio', target: { URI: 'oss://bkt/o.mp4', Container: 'mp4', Audio: { DisableAudio: true } }, expected: '-an -f mp4' },
  ])('$case', ({ target: t, expected }) => {
    // Act
    const args = ffmpegArgs(parseSources([{ URI: 'oss://bkt/in.mp4' }]), parseTargets([t])[0], 'in', 'out').join(' ');

    // Assess
    expect(args).toContain(expected);
  });

  it.each([
    { case: 'an empty array', targets: [], message: 'The parameter Targets is not valid: it must be a non-empty JSON array.' },
    { case: 'an unknown container', targets: [{ ...target, Container: 'wmv' }], message: expect.stringContaining('Targets[0].Container is not valid: `wmv`') },
    { case: 'an odd Resolution', targets: [{ ...target, Video: { TranscodeVideo: { Codec: 'h264', Resolution: '161x120' } } }], message: expect.stringContaining('must be even sizes') },
    { case: 'CRF out of range', targets: [{ ...target, Video: { TranscodeVideo: { Codec: 'h264', CRF: 60 } } }], message: expect.stringContaining('CRF is not valid: it must be a number from 0 to 51') },
    { case: 'copy with a Resolution', targets: [{ ...target, Video: { TranscodeVideo: { Codec: 'copy', Resolution: '160x120' } } }], message: expect.stringContaining('Codec `copy` cannot change') },
    { case: 'an unsupported field', targets: [{ ...target, Segment: { Format: 'hls' } }], message: expect.stringContaining('field `Segment` is not supported by the emulator') },
    { case: 'an audio Channel out of range', targets: [{ ...target, Audio: { TranscodeAudio: { Codec: 'aac', Channel: 9 } } }], message: expect.stringContaining('Channel is not valid') },
  ])('refuses $case with 400 InvalidArgument', ({ targets, message }) => {
    // Act
    const act = () => parseTargets(targets);

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, code: 'InvalidArgument', message }));
  });

  it('refuses more than one source (no concatenation)', () => {
    // Act
    const act = () => parseSources([{ URI: 'oss://bkt/a.mp4' }, { URI: 'oss://bkt/b.mp4' }]);

    // Assess
    expect(act).toThrow(/concatenation is not supported/);
  });
});
