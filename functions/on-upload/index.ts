// OSS trigger handler: every uploaded object under INPUT_PREFIX gets an IMM operation and a sidecar.
// FC retries an async invocation that throws, so it throws only when a retryable failure happened.
import pLimit from 'p-limit';
import { AppError } from '../../shared/errors';
import { parseOssEvent, type ParsedOssEvent } from '../../shared/fc/ossEvent';
import type { FcContext } from '../../shared/fc/types';
import { describeError } from '../../shared/log';
import { sidecarFunction, type SidecarFunctionOptions } from '../../shared/sidecarFunction';
import { processUpload, type UploadOutcome } from '../../shared/upload';

export interface BatchSummary {
  processed: number;
  outcomes: Record<string, number>;
  rejected: number;
}

export type OnUploadOptions = SidecarFunctionOptions;

/** `runtime` and `sidecars` let tests inject fakes; otherwise they are built from the environment on the first invocation. */
export function createHandler(options: OnUploadOptions = {}) {
  const container = sidecarFunction(options);
  return async function handler(event: Buffer, context: FcContext): Promise<BatchSummary> {
    const { runtime, invocation, sidecars } = container(context);
    let parsed: ParsedOssEvent;
    try {
      parsed = parseOssEvent(event);
    } catch (error) {
      // A payload that is not an OSS event will never parse: re-delivery cannot help, so log and return.
      invocation.log.error({ err: describeError(error) }, 'not an OSS trigger event, dropped');
      return { processed: 0, outcomes: {}, rejected: 1 };
    }
    const { objects, rejected } = parsed;
    for (const r of rejected) invocation.log.error({ problem: r.problem }, 'malformed OSS event record, dropped');

    // Bounded concurrency: a large batch must not open hundreds of IMM calls at once.
    const limit = pLimit(runtime.config.batchConcurrency);
    const settled = await Promise.allSettled(objects.map((object) => limit(() => processUpload(object, runtime, invocation, sidecars))));
    const outcomes: Record<string, number> = {};
    let retry = false;
    settled.forEach((result, i) => {
      const outcome: UploadOutcome = result.status === 'fulfilled' ? result.value : { status: 'failed', sidecarKey: '', retryable: true };
      if (result.status === 'rejected') invocation.log.error({ err: describeError(result.reason), key: objects[i].key }, 'record failed before its sidecar was written');
      outcomes[outcome.status] = (outcomes[outcome.status] ?? 0) + 1;
      if ('retryable' in outcome && outcome.retryable) retry = true;
    });
    const summary = { processed: objects.length, outcomes, rejected: rejected.length };
    invocation.log.info(summary, 'batch done');
    if (retry) throw new AppError('RetryableFailure', 'at least one record failed with a retryable error', 503, { retryable: true });
    return summary;
  };
}

export const handler = createHandler();
