// Parses the OSS trigger payload. It arrives as a Buffer holding `{"events":[…]}`; every record is
// returned, and a malformed record is reported on its own instead of failing the batch.
import * as v from 'valibot';
import { BadRequestError } from '../errors';

/** What the rest of the code needs to know about one uploaded object. */
export interface UploadedObject {
  bucket: string;
  key: string;
  eTag: string;
  size: number;
  eventName: string;
  region: string;
}

export interface ParsedOssEvent {
  objects: UploadedObject[];
  rejected: { index: number; problem: string }[];
}

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must be a non-empty string'));

const recordSchema = v.object({
  eventName: nonEmpty,
  region: v.optional(v.string(), ''),
  oss: v.object({
    bucket: v.object({ name: nonEmpty }),
    object: v.object({
      key: nonEmpty,
      eTag: v.optional(v.string(), ''),
      size: v.optional(v.pipe(v.number(), v.minValue(0, 'must not be negative')), 0),
    }),
  }),
});

export function decodeEventPayload(event: unknown): unknown {
  const text = Buffer.isBuffer(event) ? event.toString('utf8') : typeof event === 'string' ? event : undefined;
  if (text === undefined) return event;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('event payload is not valid JSON', undefined, 'InvalidEvent');
  }
}

export function parseOssEvent(event: unknown): ParsedOssEvent {
  const payload = decodeEventPayload(event);
  const events = (payload as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) {
    throw new BadRequestError('OSS event payload has no `events` array', 'is the function wired to an OSS trigger?', 'InvalidEvent');
  }
  const parsed: ParsedOssEvent = { objects: [], rejected: [] };
  events.forEach((raw, index) => {
    const result = v.safeParse(recordSchema, raw);
    if (!result.success) {
      const issue = result.issues[0];
      parsed.rejected.push({ index, problem: `events[${index}].${v.getDotPath(issue) ?? ''}: ${issue.message}` });
      return;
    }
    const r = result.output;
    parsed.objects.push({
      bucket: r.oss.bucket.name,
      key: r.oss.object.key,
      eTag: r.oss.object.eTag.replace(/"/g, '').toUpperCase(),
      size: r.oss.object.size,
      eventName: r.eventName,
      region: r.region,
    });
  });
  return parsed;
}
