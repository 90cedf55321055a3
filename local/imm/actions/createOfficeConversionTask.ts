// CreateOfficeConversionTask (reference §2): answers `{TaskId, EventId}` at once and converts in the task
// queue — stream the source as IMM's data identity into a temporary file, convert it file to file
// (local/imm/office), and write every output under TargetURIPrefix as the same identity, so the bucket policy
// must grant oss:PutObject there.
// Outputs are named like IMM's: `<prefix>1.png`, `<prefix>2.png`, … or `<prefix>output.pdf`/`output.txt`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { immErrors } from '../errors';
import { convertDocumentFile, OfficeConversionError, type ConvertedFileOnDisk, type OfficeTarget } from '../office';
import { optionalString, parseJsonParam, parseOssUri, requireString, type OssUri } from '../params';
import { TaskError, type TaskNotification } from '../tasks';
import { parseNotification, parseTags } from './taskParams';
import type { ImmAction } from './types';

interface Input {
  source: OssUri;
  targetType: OfficeTarget;
  targetPrefix: OssUri;
  pages?: number[];
  userData?: string;
  tags?: Record<string, string>;
  notification?: TaskNotification;
  definition: string;
}

const TARGET_TYPES: readonly OfficeTarget[] = ['pdf', 'png', 'jpg', 'txt'];

/** `1,2-4,7` → [1, 2, 3, 4, 7]. */
export function parsePages(spec: string): number[] {
  const pages: number[] = [];
  for (const part of spec.split(',').map((p) => p.trim())) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw immErrors.invalidArgument(`The parameter Pages is not valid: \`${part}\` is not a page or a range.`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from < 1 || to < from || to - from > 5000) throw immErrors.invalidArgument(`The parameter Pages is not valid: \`${part}\`.`);
    for (let page = from; page <= to; page++) pages.push(page);
  }
  return pages;
}

export const createOfficeConversionTask: ImmAction<Input> = {
  parse(params) {
    const targetType = requireString(params, 'TargetType') as OfficeTarget;
    if (!TARGET_TYPES.includes(targetType)) throw immErrors.invalidArgument('The parameter TargetType is not valid: use pdf, png, jpg or txt.');
    if (optionalString(params, 'TargetURI') !== undefined) throw immErrors.invalidArgument('The parameter TargetURI is not supported by the emulator: use TargetURIPrefix.');
    const prefix = requireString(params, 'TargetURIPrefix');
    if (!prefix.endsWith('/')) throw immErrors.invalidArgument('The parameter TargetURIPrefix is not valid: it must end with `/`.');
    const pages = optionalString(params, 'Pages');
    const userData = optionalString(params, 'UserData');
    if (userData !== undefined && Buffer.byteLength(userData) > 2048) throw immErrors.invalidArgument('The parameter UserData is not valid: it must be at most 2048 bytes.');
    // The prefix names a folder; parseOssUri checks an object key, so it gets the prefix without its final `/`.
    const folder = parseOssUri('TargetURIPrefix', prefix.slice(0, -1));
    return {
      source: parseOssUri('SourceURI', requireString(params, 'SourceURI')),
      targetType,
      targetPrefix: { bucket: folder.bucket, key: `${folder.key}/`, uri: prefix },
      pages: pages === undefined ? undefined : parsePages(pages),
      userData,
      tags: parseTags(parseJsonParam(params, 'Tags')),
      notification: parseNotification(parseJsonParam(params, 'Notification')),
      definition: JSON.stringify({ ProjectName: params.ProjectName, SourceURI: params.SourceURI, TargetType: targetType, TargetURIPrefix: prefix, Pages: pages }),
    };
  },

  async run({ project, credentialConfig, data, tasks }, input) {
    const task = tasks.start({ project, type: 'OfficeConversion', userData: input.userData, tags: input.tags, notification: input.notification, definition: input.definition }, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'imm-office-'));
      try {
        const source = path.join(dir, 'source');
        await data.readToFile(project, input.source, source, credentialConfig);
        const sourceType = path.extname(input.source.key).slice(1).toLowerCase() || undefined;
        let outputs: ConvertedFileOnDisk[];
        try {
          outputs = await convertDocumentFile(source, { sourceType, targetType: input.targetType, pages: input.pages, workDir: dir, memory: data.memory });
        } catch (error) {
          if (error instanceof OfficeConversionError) throw new TaskError(error.code, error.message, { cause: error });
          throw error;
        }
        for (const output of outputs) {
          const target: OssUri = { bucket: input.targetPrefix.bucket, key: `${input.targetPrefix.key}${output.name}`, uri: `${input.targetPrefix.uri}${output.name}` };
          await data.write(project, target, output.path, credentialConfig, output.contentType);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    return { TaskId: task.TaskId, EventId: task.EventId };
  },
};
