// The deep health check (`GET /healthz?deep=1`, issue 12 C): the cross-account chain, link by link, run inside the
// deployed function with the function's own role. Each link says ok, or the error code and the fix; a link whose
// prerequisite failed is reported as skipped, so exactly the broken link is marked.
import { randomUUID } from 'node:crypto';
import { toAppError } from './errors';
import type { ImmClient } from './imm';
import type { ProbeStore } from './oss';
import type { Invocation, Runtime } from './runtime';
import { probePrefix } from './scope';
import { formatOssUri } from './uri';

export type HealthLinkName = 'assume-role' | 'imm-project' | 'probe-write' | 'imm-reads-input' | 'probe-delete';

export interface HealthLink {
  name: HealthLinkName;
  ok: boolean;
  /** Not run because an earlier link it needs failed; never counted as broken itself. */
  skipped?: true;
  code?: string;
  message?: string;
  fix?: string;
  bucket?: string;
}

export interface HealthReport {
  ok: boolean;
  links: HealthLink[];
}

/**
 * A 16×16 grey baseline JPEG (267 bytes), written by sharp once and pasted here: IMM scores any decodable image, and
 * a constant needs no image library in the function.
 */
export const PROBE_JPEG = Buffer.from(
  '/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAAA//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AKAGC//Z',
  'base64',
);

/** A task id no real task has: GetTask then answers "resource Task is not found" when the project exists. */
const PROBE_TASK_ID = 'imm-bridge-health-probe';

interface Attempt<T> {
  value?: T;
  link: HealthLink;
}

async function attempt<T>(name: HealthLinkName, run: () => Promise<T>, extra: Partial<HealthLink> = {}): Promise<Attempt<T>> {
  try {
    return { value: await run(), link: { name, ok: true, ...extra } };
  } catch (caught) {
    const error = toAppError(caught);
    return { link: { name, ok: false, ...extra, code: error.code, message: error.expose ? error.message : 'internal error', ...(error.hint ? { fix: error.hint } : {}) } };
  }
}

const skipped = (name: HealthLinkName, because: HealthLinkName, extra: Partial<HealthLink> = {}): HealthLink => ({ name, ok: false, skipped: true, message: `not run: \`${because}\` failed`, ...extra });

export async function deepHealth(runtime: Runtime, invocation: Invocation, probes: ProbeStore, uuid: () => string = randomUUID): Promise<HealthReport> {
  const { config } = runtime;
  const links: HealthLink[] = [];
  // 1. AssumeRole on the operator role with the ExternalId, fresh (a cached session would hide a changed trust policy).
  const assumed = await attempt<ImmClient>('assume-role', () => (runtime.freshImm ?? runtime.imm)(invocation));
  links.push(assumed.link);
  const imm = assumed.value;

  // 2. The project: GetTask on a task that cannot exist. TaskNotFound proves the project answers; ResourceNotFound
  // (shared/imm.ts maps "resource Project is not found" to it) or a denial is the broken link.
  let projectOk = false;
  if (imm) {
    const project = await attempt('imm-project', async () => {
      try {
        await imm.getTask({ projectName: config.immProject, taskType: 'MediaConvert', taskId: PROBE_TASK_ID }, { deadline: invocation.deadline });
      } catch (caught) {
        if (toAppError(caught).code !== 'TaskNotFound') throw caught;
      }
    });
    links.push(project.link);
    projectOk = project.link.ok;
  } else links.push(skipped('imm-project', 'assume-role'));

  // 3-5. Per served bucket: the function writes a probe image under its own folder of INPUT_PREFIX (which on-upload
  // ignores), IMM's service role reads it through the bucket policy, and the function deletes it again.
  for (const bucket of [...config.allowedBuckets].sort()) {
    const key = `${probePrefix(config.inputPrefix)}${uuid()}.jpg`;
    const where = { bucket };
    const written = await attempt('probe-write', () => probes.put(bucket, key, PROBE_JPEG, 'image/jpeg'), where);
    links.push(written.link);
    if (!written.link.ok) {
      links.push(skipped('imm-reads-input', 'probe-write', where), skipped('probe-delete', 'probe-write', where));
      continue;
    }
    if (imm && projectOk) {
      const scored = await attempt('imm-reads-input', () => imm.detectImageScore({ projectName: config.immProject, sourceUri: formatOssUri({ bucket, key }) }, { deadline: invocation.deadline }), where);
      links.push(scored.link);
    } else links.push(skipped('imm-reads-input', imm ? 'imm-project' : 'assume-role', where));
    links.push((await attempt('probe-delete', () => probes.delete(bucket, key), where)).link);
  }
  return { ok: links.every((link) => link.ok), links };
}
