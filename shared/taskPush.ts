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
  // MNS signs pushes of any account's topic. Only the task topic of the project's account is ours: anything else
  // is acknowledged and dropped before it costs a GetTask (SIMPLIFIED pushes carry no topic and go on).
  const foreign = foreignTopic(message, runtime);
  if (foreign) {
    log.warn({ topicOwner: message.topicOwner, reason: foreign }, 'push from another topic, acknowledged and dropped');
    return { status: 'rejected', reason: foreign };
  }
  const outcome = await processTaskDone(notice, runtime, invocation, sidecars);
  if (outcome.status === 'pending') throw new UpstreamError('TaskNotSettled', outcome.reason, 503, undefined, 'MNS pushes the notification again later');
  return outcome;
}

/** Why a push's topic is not IMM_NOTIFY_TOPIC of the IMM project's account (IMM_ROLE_ARN's), or undefined. */
function foreignTopic(message: MnsPushMessage, runtime: Runtime): string | undefined {
  const { notifyTopic, immRoleArn } = runtime.config;
  if (message.topicName !== undefined && notifyTopic && message.topicName !== notifyTopic) return `topic \`${message.topicName}\` is not IMM_NOTIFY_TOPIC`;
  const projectOwner = /^acs:ram::(\d+):role\//.exec(immRoleArn ?? '')?.[1];
  if (message.topicOwner !== undefined && projectOwner && message.topicOwner !== projectOwner) return `the topic belongs to account ${message.topicOwner}, not to the IMM project's account ${projectOwner}`;
  return undefined;
}
