// The offline Simple Message Queue (formerly MNS) topics, as far as imm-bridge needs them: topics per
// account, PublishMessage, HTTP endpoint subscriptions (pushed by push.ts) and FC topic triggers as
// subscribers. A published message reaches every subscribed function as an asynchronous FC invocation, in the
// trigger's notifyContentFormat:
//   JSON   → {"TopicOwner","TopicName","Subscriber","SubscriptionName","MessageId","Message","MessageMD5",
//             "MessageTag"?,"PublishTime"} (FC's MNS topic trigger event; see shared/fc/mnsEvent.ts for sources)
//   STREAM → the message body itself.
// A filterTag delivers only messages published with that tag, as MNS does. There is no MNS HTTP API here:
// IMM (in-process) is the only publisher, and RAM decides whether its identity may `mns:PublishMessage` on
// `acs:mns:<region>:<owner>:/topics/<name>/messages` (a publisher of another account is refused: topics have no
// resource policies).
import { createHash, randomBytes } from 'node:crypto';
import type { Caller, Ram } from '../ram';
import type { Telemetry } from '../telemetry';
import type { HttpPusher, HttpSubscription } from './push';

export type NotifyContentFormat = 'JSON' | 'STREAM';

export interface TopicTrigger {
  /** The topic's owner account and name (the trigger's sourceArn: `acs:mns:<region>:<owner>:/topics/<name>`). */
  topicOwner: string;
  topicName: string;
  functionName: string;
  /** The account that owns the function (MNS's `Subscriber`). */
  subscriber: string;
  format: NotifyContentFormat;
  filterTag?: string;
}

export interface MnsTopicsOptions {
  telemetry: Telemetry;
  ram: Ram;
  region: string;
  /** Hands one event to FC's async invocation queue. */
  deliver(functionName: string, payload: string, label: string): void;
  /** Pushes to HTTP endpoint subscriptions; without it, subscribe() refuses. */
  pusher?: HttpPusher;
  now?: () => number;
}

export class TopicNotFoundError extends Error {
  readonly code = 'TopicNotExist';
  constructor(owner: string, name: string) {
    super(`The topic \`${name}\` of account \`${owner}\` does not exist.`);
    this.name = 'TopicNotFoundError';
  }
}

export class MnsAccessDeniedError extends Error {
  readonly code = 'AccessDenied';
  constructor(detail: string) {
    super(`You are not authorized to do this action: ${detail}`);
    this.name = 'MnsAccessDeniedError';
  }
}

/** The largest MNS message body, 64 KiB. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export class MnsTopics {
  private readonly topics = new Map<string, TopicTrigger[]>();
  private readonly subscriptions = new Map<string, HttpSubscription[]>();
  private readonly now: () => number;

  constructor(private readonly options: MnsTopicsOptions) {
    this.now = options.now ?? Date.now;
  }

  createTopic(owner: string, name: string): void {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,255}$/.test(name)) throw new Error(`invalid topic name \`${name}\``);
    if (!this.topics.has(topicKey(owner, name))) this.topics.set(topicKey(owner, name), []);
    if (!this.subscriptions.has(topicKey(owner, name))) this.subscriptions.set(topicKey(owner, name), []);
  }

  /** Subscribe (an HTTP endpoint): every later message is pushed to `endpoint`, signed. */
  subscribe(subscription: HttpSubscription): void {
    if (!this.options.pusher) throw new Error('this MNS has no signing key for HTTP pushes');
    const subscriptions = this.subscriptions.get(topicKey(subscription.topicOwner, subscription.topicName));
    if (!subscriptions) throw new TopicNotFoundError(subscription.topicOwner, subscription.topicName);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,255}$/.test(subscription.subscriptionName)) throw new Error(`invalid subscription name \`${subscription.subscriptionName}\``);
    if (!/^https?:\/\//.test(subscription.endpoint)) throw new Error(`the endpoint \`${subscription.endpoint}\` is not an http(s) URL`);
    const index = subscriptions.findIndex((s) => s.subscriptionName === subscription.subscriptionName);
    if (index >= 0) subscriptions[index] = subscription;
    else subscriptions.push(subscription);
  }

  /** The HTTP pusher, for tests that sign a push of their own. */
  get pusher(): HttpPusher | undefined {
    return this.options.pusher;
  }

  /** True while a push (retries included) is unfinished. */
  get busy(): boolean {
    return this.options.pusher?.busy ?? false;
  }

  async idle(): Promise<void> {
    await this.options.pusher?.idle();
  }

  addTrigger(trigger: TopicTrigger): void {
    const subscribers = this.topics.get(topicKey(trigger.topicOwner, trigger.topicName));
    if (!subscribers) throw new TopicNotFoundError(trigger.topicOwner, trigger.topicName);
    subscribers.push(trigger);
  }

  /** PublishMessage as `publisher`: returns the message id once every subscriber's invocation is queued. */
  publish(publisher: Caller, owner: string, name: string, body: string, tag?: string): string {
    this.options.telemetry.countCall('mns', 'PublishMessage');
    const subscribers = this.topics.get(topicKey(owner, name));
    if (!subscribers) throw new TopicNotFoundError(owner, name);
    const resource = `acs:mns:${this.options.region}:${owner}:/topics/${name}/messages`;
    if (publisher.accountId !== owner) throw new MnsAccessDeniedError(`${publisher.arn} may not publish to a topic of account ${owner}`);
    const decision = this.options.ram.authorizeIdentity('mns', publisher, 'mns:PublishMessage', resource, { 'acs:CurrentTime': new Date(this.now()).toISOString() });
    if (decision.decision !== 'Allow') {
      throw new MnsAccessDeniedError(`${publisher.arn} was denied mns:PublishMessage on ${resource} (${decision.decision}): ${decision.explanation.join('; ')}`);
    }
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) throw new Error(`the message exceeds ${MAX_MESSAGE_BYTES} bytes`);
    const messageId = randomBytes(16).toString('hex').toUpperCase();
    const publishTime = this.now();
    for (const trigger of subscribers) {
      if (trigger.filterTag !== undefined && trigger.filterTag !== tag) continue;
      const payload =
        trigger.format === 'STREAM'
          ? body
          : JSON.stringify({
              TopicOwner: owner,
              TopicName: name,
              Subscriber: trigger.subscriber,
              SubscriptionName: `fc-${trigger.functionName}`,
              MessageId: messageId,
              Message: body,
              MessageMD5: createHash('md5').update(body).digest('hex').toUpperCase(),
              ...(tag ? { MessageTag: tag } : {}),
              PublishTime: publishTime,
            });
      this.options.deliver(trigger.functionName, payload, `${name}/${messageId}`);
    }
    for (const subscription of this.subscriptions.get(topicKey(owner, name)) ?? []) {
      if (subscription.filterTag !== undefined && subscription.filterTag !== tag) continue;
      this.options.pusher?.push(subscription, { messageId, body, tag, publishTime });
    }
    this.options.telemetry.countSuccess('mns', 'PublishMessage');
    return messageId;
  }
}

const topicKey = (owner: string, name: string): string => `${owner}/${name}`;
