// Reads IMM's asynchronous task notification, the body IMM publishes to the MNS topic named in a task's
// `Notification` (IMM "Asynchronous message examples", help.aliyun.com/document_detail/2743997.html):
//   {"id":"…","source":"acs.imm","type":"imm:Task:MediaConvert","subject":"acs:imm:<region>:<uid>:<project>/…",
//    "time":"1724133063161","content":"{\"ProjectName\":\"…\",\"TaskType\":\"MediaConvert\",\"TaskId\":\"…\",
//    \"Status\":\"Succeeded\",\"Code\":\"\",\"Message\":\"\",\"UserData\":\"…\",\"StartTime\":\"…\",\"EndTime\":\"…\",…}"}
// `content` is itself JSON in a string. The parsed message is only a hint: on-task-done asks GetTask for the truth.
import * as v from 'valibot';
import { BadRequestError } from './errors';

export interface TaskNotice {
  /** The notification's own id (MNS delivers at least once: the same id may come twice). */
  id?: string;
  projectName: string;
  taskType: string;
  taskId: string;
  status: string;
  code?: string;
  message?: string;
  userData?: string;
}

const text = v.pipe(v.string(), v.minLength(1, 'must be a non-empty string'), v.maxLength(256, 'is too long'));
const optionalText = v.optional(v.string());

const envelopeSchema = v.object({
  id: v.optional(v.string()),
  source: v.literal('acs.imm', 'source must be `acs.imm`'),
  type: v.pipe(v.string(), v.startsWith('imm:Task:', 'type must start with `imm:Task:`')),
  content: v.union([v.string(), v.record(v.string(), v.unknown())], 'content must be a JSON string or object'),
});

const contentSchema = v.object({
  ProjectName: text,
  TaskType: text,
  TaskId: v.pipe(text, v.regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, `-` or `_`')),
  Status: text,
  Code: optionalText,
  Message: optionalText,
  UserData: optionalText,
});

/** Throws BadRequestError (code `InvalidNotification`) when the body is not an IMM task notification. */
export function parseTaskNotification(body: string): TaskNotice {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw invalid('the message body is not JSON');
  }
  const envelope = v.safeParse(envelopeSchema, raw);
  if (!envelope.success) throw invalid(issueText(envelope.issues));
  let content: unknown = envelope.output.content;
  if (typeof content === 'string') {
    try {
      content = JSON.parse(content);
    } catch {
      throw invalid('`content` is not JSON');
    }
  }
  const parsed = v.safeParse(contentSchema, content);
  if (!parsed.success) throw invalid(`content.${issueText(parsed.issues)}`);
  const c = parsed.output;
  return {
    id: envelope.output.id || undefined,
    projectName: c.ProjectName,
    taskType: c.TaskType,
    taskId: c.TaskId,
    status: c.Status,
    code: c.Code || undefined,
    message: c.Message || undefined,
    userData: c.UserData || undefined,
  };
}

function issueText(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const issue = issues[0];
  const at = v.getDotPath(issue);
  return at ? `${at}: ${issue.message}` : issue.message;
}

function invalid(problem: string): BadRequestError {
  return new BadRequestError(`not an IMM task notification: ${problem}`, 'the topic should carry only IMM task notifications', 'InvalidNotification');
}
