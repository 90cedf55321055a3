// Reads the payload a timer trigger hands to a function (FC 3.0, trigger type `timer`), a Buffer holding
//   {"triggerTime":"2018-02-09T05:49:00Z","triggerName":"timer-trigger","payload":"awesome-fc"}
// where `payload` is the trigger's configured message (TimerTriggerConfig.payload).
// Sources: FC "Formats of event for different triggers" (alibabacloud.com/help/en/fc/formats-of-event-for-different-triggers),
// FC API TimerTriggerConfig (alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-timertriggerconfig).
import { decodeEventPayload } from './ossEvent';

export interface TimerEvent {
  triggerTime?: string;
  triggerName?: string;
  payload?: string;
}

/**
 * Never throws: a timer function's work does not depend on its event, so a manual invocation (`s invoke`, the
 * console's test button, an empty event) runs it too. Only fields of the documented shape are taken.
 */
export function parseTimerEvent(event: unknown): TimerEvent {
  let raw: unknown;
  try {
    raw = decodeEventPayload(event);
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const r = raw as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 1024 ? value : undefined);
  return { triggerTime: text(r.triggerTime), triggerName: text(r.triggerName), payload: text(r.payload) };
}
