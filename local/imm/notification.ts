// The body the offline IMM publishes to a task's MNS topic when the task finishes, in IMM's documented shape
// (IMM "Asynchronous message examples", help.aliyun.com/document_detail/2743997.html): an envelope whose
// `content` is the task as JSON in a string. Fields IMM sends that the emulator has no value for
// (DatasetName, EventSourceId, Sources, Targets) are sent empty or left out.
import { randomBytes } from 'node:crypto';
import type { Project } from './ProjectRegistry';
import type { TaskInfo } from './tasks';

export interface ImmTaskMessage {
  id: string;
  source: 'acs.imm';
  type: string;
  subject: string;
  time: string;
  content: string;
}

export function taskMessage(task: TaskInfo, project: Project, region: string, now: number, requestId: string): ImmTaskMessage {
  const type = `imm:Task:${task.TaskType}`;
  return {
    id: randomBytes(16).toString('base64url'),
    source: 'acs.imm',
    type,
    subject: `acs:imm:${region}:${project.accountId}:${project.name}/${type}`,
    time: String(now),
    content: JSON.stringify({
      ProjectName: task.ProjectName,
      DatasetName: '',
      RequestId: requestId,
      StartTime: task.StartTime,
      EndTime: task.EndTime ?? '',
      UserData: task.UserData ?? '',
      TaskType: task.TaskType,
      TaskId: task.TaskId,
      Status: task.Status,
      Code: task.Code ?? '',
      Message: task.Message ?? '',
      EventSourceId: '',
    }),
  };
}
