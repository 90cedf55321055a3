// Parses the OSS trigger payload. It arrives as a Buffer holding `{"events":[…]}`; every record is
// returned, and a malformed record is reported on its own instead of failing the batch.
import { z } from 'zod';
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

const recordSchema = z.object({
  eventName: z.string().min(1),
  region: z.string().default(''),
  oss: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      eTag: z.string().default(''),
      size: z.number().nonnegative().default(0),
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
    const result = recordSchema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      parsed.rejected.push({ index, problem: `events[${index}].${issue.path.join('.')}: ${issue.message}` });
      return;
    }
    const r = result.data;
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
