// CreateMediaConvertTask (reference §2): answers `{TaskId, EventId}` at once and converts in the task
// queue — read the source as IMM's data identity, run ffmpeg once per target in a temporary folder, write
// each output as the same identity (so the bucket policy must grant oss:PutObject on the target), then
// mark the task Succeeded. Failures become the task's Code and Message (see ../tasks.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { immErrors } from '../errors';
import { contentType, ffmpegArgs, parseSources, parseTargets, type MediaSource, type MediaTarget } from '../mediaTargets';
import { optionalString, parseJsonParam, requireString } from '../params';
import type { TaskNotification } from '../tasks';
import type { ImmAction } from './types';

interface Input {
  source: MediaSource;
  targets: MediaTarget[];
  userData?: string;
  tags?: Record<string, string>;
  notification?: TaskNotification;
  definition: string;
}

export const createMediaConvertTask: ImmAction<Input> = {
  parse(params) {
    requireString(params, 'Sources');
    requireString(params, 'Targets');
    const source = parseSources(parseJsonParam(params, 'Sources'));
    const targets = parseTargets(parseJsonParam(params, 'Targets'));
    if (optionalString(params, 'TargetGroups') !== undefined) throw immErrors.invalidArgument('The parameter TargetGroups is not supported by the emulator.');
    const userData = optionalString(params, 'UserData');
    if (userData !== undefined && Buffer.byteLength(userData) > 2048) throw immErrors.invalidArgument('The parameter UserData is not valid: it must be at most 2048 bytes.');
    return {
      source,
      targets,
      userData,
      tags: parseTags(parseJsonParam(params, 'Tags')),
      notification: parseNotification(parseJsonParam(params, 'Notification')),
      definition: JSON.stringify({ ProjectName: params.ProjectName, Sources: params.Sources, Targets: params.Targets }),
    };
  },

  async run({ project, credentialConfig, data, tasks, ffmpeg }, input) {
    const task = tasks.start({ project, type: 'MediaConvert', userData: input.userData, tags: input.tags, notification: input.notification, definition: input.definition }, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'imm-media-'));
      try {
        const inputFile = path.join(dir, 'source');
        await writeFile(inputFile, await data.read(project, input.source.uri, credentialConfig));
        for (const [i, target] of input.targets.entries()) {
          const output = path.join(dir, `target-${i}`);
          await ffmpeg(ffmpegArgs(input.source, target, inputFile, output));
          await data.write(project, target.uri, output, credentialConfig, contentType(target));
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    return { TaskId: task.TaskId, EventId: task.EventId };
  },
};

function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) throw immErrors.invalidArgument('The parameter Tags is not valid: it must be a JSON object of strings.');
  return value as Record<string, string>;
}

function parseNotification(value: unknown): TaskNotification | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) => immErrors.invalidArgument(`The parameter Notification is not valid: ${why}.`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('it must be a JSON object');
  const n = value as Record<string, unknown>;
  for (const field of Object.keys(n)) if (!['MNS', 'RocketMQ', 'ExtendedMessageURI'].includes(field)) throw bad(`unknown field \`${field}\``);
  for (const channel of ['MNS', 'RocketMQ'] as const) {
    const c = n[channel] as Record<string, unknown> | undefined;
    if (c !== undefined && (typeof c !== 'object' || c === null || typeof c.TopicName !== 'string' || c.TopicName === '')) throw bad(`${channel}.TopicName is required`);
  }
  if (n.ExtendedMessageURI !== undefined && typeof n.ExtendedMessageURI !== 'string') throw bad('ExtendedMessageURI must be a string');
  return n as TaskNotification;
}
