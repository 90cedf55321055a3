// CreateMediaConvertTask (reference §2): answers `{TaskId, EventId}` at once and converts in the task
// queue — stream the source as IMM's data identity into a temporary file, run ffmpeg once per target in a temporary folder, write
// each output as the same identity (so the bucket policy must grant oss:PutObject on the target), then
// mark the task Succeeded. Failures become the task's Code and Message (see ../tasks.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { immErrors } from '../errors';
import { contentType, ffmpegArgs, parseSources, parseTargets, type MediaSource, type MediaTarget } from '../mediaTargets';
import { optionalString, parseJsonParam, requireString } from '../params';
import { parseNotification, parseTags } from './taskParams';
import type { ImmAction } from './types';
import type { TaskNotification } from '../tasks';

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
        await data.readToFile(project, input.source.uri, inputFile, credentialConfig);
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
