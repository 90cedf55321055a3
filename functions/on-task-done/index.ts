// MNS topic trigger handler: IMM publishes a notification when an upload's task finishes; the upload's
// sidecar moves from `submitted` to `succeeded` or `failed`. FC re-delivers an invocation that throws
// (per the trigger's notifyStrategy), so it throws only when a later delivery can do better.
import { AppError, toAppError } from '../../shared/errors';
import { parseMnsEvent } from '../../shared/fc/mnsEvent';
import type { FcContext } from '../../shared/fc/types';
import { describeError } from '../../shared/log';
import { sidecarFunction, type SidecarFunctionOptions } from '../../shared/sidecarFunction';
import { processTaskDone, type TaskDoneOutcome } from '../../shared/taskDone';
import { parseTaskNotification, type TaskNotice } from '../../shared/taskNotification';

export type OnTaskDoneOptions = SidecarFunctionOptions;

export type OnTaskDoneResult = TaskDoneOutcome | { status: 'rejected'; reason: string } | { status: 'error'; code: string };

/** `runtime` and `sidecars` let tests inject fakes; otherwise they are built from the environment on the first invocation. */
export function createHandler(options: OnTaskDoneOptions = {}) {
  const container = sidecarFunction(options);
  return async function handler(event: Buffer, context: FcContext): Promise<OnTaskDoneResult> {
    const { runtime, invocation, sidecars } = container(context);
    let notice: TaskNotice;
    try {
      const message = parseMnsEvent(event);
      invocation.log.debug({ messageId: message.messageId, topic: message.topicName }, 'topic message received');
      notice = parseTaskNotification(message.body);
    } catch (error) {
      // A message that does not parse never will: re-delivery cannot help, so log and drop it.
      invocation.log.error({ err: describeError(error) }, 'not an IMM task notification, dropped');
      return { status: 'rejected', reason: error instanceof AppError ? error.message : 'unreadable event' };
    }
    let outcome: TaskDoneOutcome;
    try {
      outcome = await processTaskDone(notice, runtime, invocation, sidecars);
    } catch (caught) {
      const error = toAppError(caught);
      invocation.log.error({ err: describeError(error), taskId: notice.taskId, retryable: error.retryable }, 'task notification failed');
      // Only a transient failure is worth FC's re-delivery; a missing grant fails the same way every time.
      if (error.retryable) throw error;
      return { status: 'error', code: error.code };
    }
    if (outcome.status === 'pending') throw new AppError('TaskNotSettled', outcome.reason, 503, { retryable: true });
    return outcome;
  };
}

export const handler = createHandler();
