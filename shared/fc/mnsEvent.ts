// Parses the payload an MNS topic trigger hands to a function (FC 3.0, trigger type `mns_topic`).
//
// With `notifyContentFormat: JSON` (what s.yaml sets) the Buffer holds MNS's JSON notification:
//   {"TopicOwner":"…","TopicName":"…","Subscriber":"…","SubscriptionName":"…","MessageId":"…",
//    "Message":"<the published body>","MessageMD5":"…","MessageTag":"…","PublishTime":1550216302888}
// (PublishTime is a number in FC's events and a string in MNS's HTTP pushes; both are accepted.)
// With `STREAM` the Buffer is the published body itself, with no attributes.
// Sources: FC 3.0 "Simple Message Queue (formerly MNS) topic triggers"
// (alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/mns-topic-triggers), MNS NotifyContentFormat
// (help.aliyun.com/document_detail/27482.html), FC MNSTopicTriggerConfig (api-fc-2023-03-30-struct-mnstopictriggerconfig).
import { BadRequestError } from '../errors';

export interface TopicMessage {
  /** The published body, e.g. IMM's task notification JSON. */
  body: string;
  /** MNS attributes; absent for STREAM payloads. */
  messageId?: string;
  topicOwner?: string;
  topicName?: string;
  tag?: string;
  publishTime?: number;
}

/** The largest MNS message is 64 KiB; anything much larger is not an MNS notification. */
const MAX_EVENT_BYTES = 256 * 1024;

export function parseMnsEvent(event: unknown): TopicMessage {
  if (!Buffer.isBuffer(event) && typeof event !== 'string') throw new BadRequestError('MNS event payload is not a Buffer or string', 'is the function wired to an MNS topic trigger?', 'InvalidEvent');
  // Measured before decoding, so an oversized payload costs nothing.
  if ((Buffer.isBuffer(event) ? event.length : Buffer.byteLength(event)) > MAX_EVENT_BYTES) throw new BadRequestError(`MNS event payload exceeds ${MAX_EVENT_BYTES} bytes`, undefined, 'InvalidEvent');
  const text = Buffer.isBuffer(event) ? event.toString('utf8') : event;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // STREAM format with a body that is not JSON: the caller decides whether it means anything.
    return { body: text };
  }
  if (!isJsonNotification(parsed)) return { body: text };
  const publishTime = Number(parsed.PublishTime);
  return {
    body: parsed.Message,
    messageId: stringOrUndefined(parsed.MessageId),
    topicOwner: stringOrUndefined(parsed.TopicOwner),
    topicName: stringOrUndefined(parsed.TopicName),
    tag: stringOrUndefined(parsed.MessageTag),
    publishTime: Number.isFinite(publishTime) && parsed.PublishTime !== undefined ? publishTime : undefined,
  };
}

interface JsonNotification {
  Message: string;
  TopicName: unknown;
  MessageId?: unknown;
  TopicOwner?: unknown;
  MessageTag?: unknown;
  PublishTime?: unknown;
}

/** A JSON-format notification carries at least the body (`Message`) and the topic it came from. */
function isJsonNotification(value: unknown): value is JsonNotification {
  const v = value as Partial<JsonNotification> | null;
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof v.Message === 'string' && typeof v.TopicName === 'string';
}

const stringOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
