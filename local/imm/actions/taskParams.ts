// Parameters every task-creating action shares: Tags and Notification, as JSON strings in the query.
import { immErrors } from '../errors';
import type { TaskNotification } from '../tasks';

export function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) throw immErrors.invalidArgument('The parameter Tags is not valid: it must be a JSON object of strings.');
  return value as Record<string, string>;
}

export function parseNotification(value: unknown): TaskNotification | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) => immErrors.invalidArgument(`The parameter Notification is not valid: ${why}.`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('it must be a JSON object');
  const n = value as Record<string, unknown>;
  for (const field of Object.keys(n)) if (!['MNS', 'RocketMQ', 'ExtendedMessageURI'].includes(field)) throw bad(`unknown field \`${field}\``);
  for (const channel of ['MNS', 'RocketMQ'] as const) {
    const c = n[channel] as Record<string, unknown> | undefined;
    if (c !== undefined && (typeof c !== 'object' || c === null || typeof c.TopicName !== 'string' || c.TopicName === '')) throw bad(`${channel}.TopicName is required`);
  }
  if (n.ExtendedMessageURI !== undefined && typeof n.ExtendedMessageURI !== 'string') throw bad('ExtendedMessageURI must be a string');
  return n as TaskNotification;
}
