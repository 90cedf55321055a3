// State of the offline IMM's asynchronous tasks (CreateMediaConvertTask → GetTask, reference §2): kept in
// memory per project, run in a concurrency-limited queue. A task's work either resolves (Succeeded) or
// throws; an ImmError or a MediaError becomes the task's Code and Message (Failed), anything else
// `InternalError`. Real IMM keeps task info for 7 days; the emulator keeps it until it stops.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { ImmError } from './errors';
import { immTime } from './params';
import type { Project } from './ProjectRegistry';

export type TaskStatus = 'Running' | 'Succeeded' | 'Failed';

/** Notification (reference §2.6). The emulator delivers nothing itself; it hands it to `onTaskDone`. */
export interface TaskNotification {
  MNS?: { TopicName: string };
  RocketMQ?: { InstanceId?: string; TopicName: string };
  ExtendedMessageURI?: string;
}

/** One task as GetTask answers it (without RequestId). Optional fields are left out while they have no value. */
export interface TaskInfo {
  ProjectName: string;
  TaskId: string;
  TaskType: string;
  EventId: string;
  Status: TaskStatus;
  Code?: string;
  Message?: string;
  StartTime: string;
  EndTime?: string;
  UserData?: string;
  Tags?: Record<string, string>;
  /** The original request as JSON, answered only when GetTask asks with RequestDefinition=true. */
  TaskRequestDefinition?: string;
}

/** Called once per finished task that was created with a Notification; MNS delivery is wired in by the stack. */
export type TaskDoneHook = (notification: TaskNotification, task: TaskInfo, project: Project) => void | Promise<void>;

export interface NewTask {
  project: Project;
  /** `MediaConvert`, also the TaskId prefix. */
  type: string;
  userData?: string;
  tags?: Record<string, string>;
  notification?: TaskNotification;
  definition?: string;
}

/** A failure a task reports as its own Code (e.g. `InvalidMediaFormat`), not as a request error. */
export class TaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TaskError';
  }
}

export interface TaskRegistryOptions {
  /** How many tasks run at once (default 2). */
  concurrency?: number;
  onTaskDone?: TaskDoneHook;
  now?: () => number;
}

export interface TaskRegistry {
  /** Records a Running task, queues `work` and returns the record at once. */
  start(task: NewTask, work: () => Promise<void>): TaskInfo;
  /** A copy of the task, or undefined when the project has no task with that id. */
  get(project: Project, taskId: string): TaskInfo | undefined;
  /** Resolves once every queued task has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export function createTaskRegistry(options: TaskRegistryOptions = {}): TaskRegistry {
  const tasks = new Map<string, TaskInfo>();
  const limit = pLimit(options.concurrency ?? 2);
  const pending = new Set<Promise<void>>();
  const now = options.now ?? Date.now;

  const finish = async (task: TaskInfo, project: Project, notification: TaskNotification | undefined, error?: unknown): Promise<void> => {
    if (error === undefined) {
      task.Status = 'Succeeded';
    } else {
      task.Status = 'Failed';
      const { code, message } = failure(error);
      task.Code = code;
      task.Message = message;
    }
    task.EndTime = immTime(now());
    if (notification && options.onTaskDone) {
      try {
        await options.onTaskDone(notification, { ...task }, project);
      } catch (hookError) {
        // A broken notification channel must not change the task's outcome.
        console.error(`imm emulator: onTaskDone for \`${task.TaskId}\`: ${String((hookError as Error)?.message ?? hookError)}`);
      }
    }
  };

  return {
    start(spec, work) {
      const task: TaskInfo = {
        ProjectName: spec.project.name,
        TaskId: `${spec.type}-${randomUUID()}`,
        TaskType: spec.type,
        EventId: `${randomUUID().slice(0, 3).toUpperCase()}-${randomUUID().replace(/-/g, '').slice(0, 27).toUpperCase()}`,
        Status: 'Running',
        StartTime: immTime(now()),
        UserData: spec.userData,
        Tags: spec.tags,
        TaskRequestDefinition: spec.definition,
      };
      tasks.set(taskKey(spec.project, task.TaskId), task);
      const run = limit(async () => {
        let error: unknown;
        try {
          await work();
        } catch (e) {
          error = e ?? new Error('task failed');
        }
        await finish(task, spec.project, spec.notification, error);
      });
      pending.add(run);
      void run.finally(() => pending.delete(run));
      return { ...task };
    },

    get(project, taskId) {
      const task = tasks.get(taskKey(project, taskId));
      return task && { ...task };
    },

    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

function failure(error: unknown): { code: string; message: string } {
  if (error instanceof TaskError || error instanceof ImmError) return { code: error.code, message: error.message };
  console.error(`imm emulator: task failed: ${String((error as Error)?.stack ?? error)}`);
  return { code: 'InternalError', message: 'The request processing has failed due to some unknown error: see the emulator log' };
}

const taskKey = (project: Project, taskId: string): string => `${project.accountId}/${project.name}/${taskId}`;
