// GetTask (reference §2): a task of the project by TaskType and TaskId, as recorded by ../tasks.ts.
import { immErrors } from '../errors';
import { optionalString, requireString } from '../params';
import type { ImmAction } from './types';

export const getTask: ImmAction<{ taskType: string; taskId: string; requestDefinition: boolean }> = {
  parse(params) {
    const taskType = requireString(params, 'TaskType');
    const taskId = requireString(params, 'TaskId');
    const definition = optionalString(params, 'RequestDefinition');
    if (definition !== undefined && definition !== 'true' && definition !== 'false') throw immErrors.invalidArgument(`The parameter RequestDefinition \`${definition}\` is not valid: it must be true or false.`);
    return { taskType, taskId, requestDefinition: definition === 'true' };
  },

  async run({ project, tasks }, { taskType, taskId, requestDefinition }) {
    const task = tasks.get(project, taskId);
    if (!task) throw immErrors.resourceNotFound('Task', `no task \`${taskId}\` in project \`${project.name}\``);
    // The emulator's choice: a known id under the wrong TaskType is the caller's mistake, which 400 names;
    // a 404 would send them looking for a task that exists.
    if (task.TaskType !== taskType) throw immErrors.invalidArgument(`The parameter TaskType \`${taskType}\` is not valid: task \`${taskId}\` is a \`${task.TaskType}\` task.`);
    const { TaskRequestDefinition, ...rest } = task;
    return requestDefinition ? { ...rest, TaskRequestDefinition } : rest;
  },
};
