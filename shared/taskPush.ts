// A verified MNS push of IMM's task notification (POST /notifications/imm on the api): the same work as
// on-task-done, answered the way an MNS HTTP subscription understands. MNS retries anything but 2xx
// (alibabacloud.com/help/doc-detail/210865.htm), so only what a later delivery can settle is refused.
import { AppError, UpstreamError } from './errors';
import { describeError } from './log';
import type { MnsPushMessage } from './mnsPush';
import type { SidecarStore } from './oss';
import type { Invocation, Runtime } from './runtime';
import { processTaskDone, type TaskDoneOutcome } from './taskDone';
import { parseTaskNotification, type TaskNotice } from './taskNotification';

export type TaskPushOutcome = TaskDoneOutcome | { status: 'rejected'; reason: string };

/** Throws a retryable 503 while the task is not settled, so that MNS pushes the message again later. */
export async function receiveTaskPush(message: MnsPushMessage, runtime: Runtime, invocation: Invocation, sidecars: SidecarStore): Promise<TaskPushOutcome> {
  const log = invocation.log.child({ messageId: message.messageId, topic: message.topicName });
  let notice: TaskNotice;
  try {
    notice = parseTaskNotification(message.body);
  } catch (error) {
    // MNS signed it, so it is what was published; it will never parse, and retrying it for a day helps nobody.
    log.warn({ err: describeError(error) }, 'pushed message is not an IMM task notification, acknowledged and dropped');
    return { status: 'rejected', reason: error instanceof AppError ? error.message : 'unreadable message' };
  }
  const outcome = await processTaskDone(notice, runtime, invocation, sidecars);
  if (outcome.status === 'pending') throw new UpstreamError('TaskNotSettled', outcome.reason, 503, undefined, 'MNS pushes the notification again later');
  return outcome;
}
