// The body of a push, by the subscription's NotifyContentFormat (MNS "NotifyContentFormat",
// alibabacloud.com/help/doc-detail/27482.htm; "HttpEndpoint", doc-detail/210865.htm):
//   XML        <Notification> with TopicOwner, TopicName, Subscriber, SubscriptionName, MessageId, Message,
//              MessageMD5, MessageTag, PublishTime
//   JSON       the same fields in a JSON object
//   SIMPLIFIED the message alone; its id and tag come in x-mns-message-id and x-mns-message-tag
// No header names the format: a push with x-mns-message-id is SIMPLIFIED (only that format carries it),
// otherwise the first character tells XML from JSON.
import { createHash } from 'node:crypto';
import type { XMLParser } from 'fast-xml-parser';
import { BadRequestError } from '../errors';
import { PUSH_HINT } from './signature';

export type NotifyContentFormat = 'XML' | 'JSON' | 'SIMPLIFIED';

export interface MnsPushMessage {
  format: NotifyContentFormat;
  /** The message as published. */
  body: string;
  messageId?: string;
  topicOwner?: string;
  topicName?: string;
  subscriptionName?: string;
  tag?: string;
}

const FIELDS = ['TopicOwner', 'TopicName', 'Subscriber', 'SubscriptionName', 'MessageId', 'Message', 'MessageMD5', 'MessageTag', 'PublishTime'] as const;

export async function parsePushBody(body: Buffer, headers: Record<string, string>): Promise<MnsPushMessage> {
  const text = body.toString('utf8');
  if (headers['x-mns-message-id']) {
    return {
      format: 'SIMPLIFIED',
      body: text,
      messageId: headers['x-mns-message-id'],
      topicOwner: headers['x-mns-topic-owner'],
      topicName: headers['x-mns-topic-name'],
      subscriptionName: headers['x-mns-subscription-name'],
      tag: headers['x-mns-message-tag'] || undefined,
    };
  }
  const trimmed = text.trimStart();
  const fields = trimmed.startsWith('<') ? await xmlFields(trimmed) : jsonFields(trimmed);
  const message = fields.Message;
  if (message === undefined) throw malformed('the notification has no Message');
  // MessageMD5 is the upper-case hex MD5 of Message; a mismatch means the envelope does not hold what MNS published.
  if (fields.MessageMD5 !== undefined && fields.MessageMD5.toUpperCase() !== createHash('md5').update(message).digest('hex').toUpperCase()) {
    throw malformed('MessageMD5 does not match Message', 'MnsMessageMd5Mismatch');
  }
  return {
    format: trimmed.startsWith('<') ? 'XML' : 'JSON',
    body: message,
    messageId: fields.MessageId,
    topicOwner: fields.TopicOwner,
    topicName: fields.TopicName,
    subscriptionName: fields.SubscriptionName,
    tag: fields.MessageTag || undefined,
  };
}

type Fields = Partial<Record<(typeof FIELDS)[number], string>>;

function jsonFields(text: string): Fields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('the body is neither XML nor JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('the JSON body is not an object');
  return pick(parsed as Record<string, unknown>);
}

// Values stay strings (PublishTime too), entities are decoded, and a DOCTYPE is refused outright: MNS never sends
// one, and entity definitions are how XML bodies blow up. fast-xml-parser is loaded on the first XML push only
// (the api's build leaves it out of the bundle, scripts/build.mjs): loading it costs about 30 ms.
let xmlParser: Promise<XMLParser> | undefined;

async function xmlFields(text: string): Promise<Fields> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw malformed('the XML body has a DOCTYPE');
  xmlParser ??= import('fast-xml-parser').then(
    ({ XMLParser }) => new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: false, removeNSPrefix: true }),
  );
  const parser = await xmlParser;
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(text) as Record<string, unknown>;
  } catch {
    throw malformed('the XML body does not parse');
  }
  const root = parsed.Notification;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw malformed('the XML body is not one <Notification>');
  return pick(root as Record<string, unknown>);
}

function pick(source: Record<string, unknown>): Fields {
  const fields: Fields = {};
  for (const name of FIELDS) {
    const value = source[name];
    if (value === undefined || value === '') continue;
    // PublishTime is a number in some JSON pushes and a string in others (doc-detail/27482 shows a string).
    if (typeof value === 'string' || (typeof value === 'number' && name === 'PublishTime')) fields[name] = String(value);
    else throw malformed(`${name} must be a string`);
  }
  if (source.Message === '') fields.Message = '';
  return fields;
}

function malformed(problem: string, code = 'MnsPushMalformed'): BadRequestError {
  return new BadRequestError(`not an MNS notification: ${problem}`, PUSH_HINT, code);
}
