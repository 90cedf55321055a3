// MNS pushing a topic's messages to HTTP endpoint subscriptions (MNS "HttpEndpoint",
// alibabacloud.com/help/doc-detail/210865.htm), signed the way MNS signs them
// (doc-detail/27488.htm): RSA-SHA1 over
//   POST\n<Content-MD5>\n<content-type>\n<Date>\n<x-mns-* headers, sorted, name:value\n><path of the endpoint>
// Base64 in `Authorization`, with the certificate's URL Base64 in `x-mns-signing-cert-url`.
// Headers and Content-MD5 forms follow what was published:
//   XML        doc-detail/27488's example: text/xml;charset=utf-8, Content-MD5 = Base64 of the hex MD5,
//              x-mns-request-id, x-mns-signing-cert-url, x-mns-version
//   SIMPLIFIED a push captured in 2023 (a public test of MNS verification): text/plain;charset=utf-8, Content-MD5
//              = upper-case hex MD5, plus x-mns-message-id, -publish-time, -subscriber, -subscription-name,
//              -topic-name, -topic-owner (and x-mns-message-tag, doc-detail/210865)
//   JSON       as XML, with application/json;charset=utf-8 (UNVERIFIED: no source shows a JSON push's headers)
// Any answer but 2xx, or no answer, is retried by the subscription's NotifyStrategy
// (alibabacloud.com/help/en/mns/notifystrategy): BACKOFF_RETRY 3 retries 10-20 s apart (random);
// EXPONENTIAL_DECAY_RETRY 176 retries 1, 2, 4 … 512 s, then 512 s, over a day. Every attempt is signed anew
// with its own Date and request id (UNVERIFIED: MNS may reuse them). After the last retry the message is lost.
// The admin fault rules (service `mns`, action `Push`) make an attempt fail before it leaves, as a network
// failure would; with rate 1 every push is lost, which is what the reconciler must make up for.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Telemetry } from '../telemetry';

export type PushContentFormat = 'XML' | 'JSON' | 'SIMPLIFIED';
export type NotifyStrategy = 'BACKOFF_RETRY' | 'EXPONENTIAL_DECAY_RETRY';

export interface HttpSubscription {
  topicOwner: string;
  topicName: string;
  subscriptionName: string;
  /** The endpoint URL; its path (and query) is what MNS signs. */
  endpoint: string;
  notifyContentFormat: PushContentFormat;
  notifyStrategy: NotifyStrategy;
  filterTag?: string;
}

export interface PublishedMessage {
  messageId: string;
  body: string;
  tag?: string;
  publishTime: number;
}

export interface PushRecord {
  subscriptionName: string;
  messageId: string;
  attempts: number;
  ok: boolean;
  /** The last answer's status, or the reason the attempt failed. */
  status?: number;
  error?: string;
}

export interface HttpPusherOptions {
  telemetry: Telemetry;
  privateKey: KeyObject;
  /** Where the certificate of `privateKey` is served (sent Base64 in x-mns-signing-cert-url). */
  certificateUrl: string;
  /** Overrides every strategy's retry delays (one entry per retry), so that tests need not wait for MNS's. */
  retryDelaysMs?: number[];
  /** Per attempt; MNS's own timeout is not documented. */
  timeoutMs?: number;
  random?: () => number;
  /** The HTTP client (global fetch by default); unit tests give a fake. */
  fetch?: typeof fetch;
  /** Push every message this many times, concurrently: MNS delivers at least once. Default 1. */
  copies?: number;
}

const EXPONENTIAL_DELAYS_S = [1, 2, 4, 8, 16, 32, 64, 128, 256, ...Array<number>(167).fill(512)];

/** The delay before each retry, in ms, as the NotifyStrategy doc gives them. */
export function retrySchedule(strategy: NotifyStrategy, random: () => number = Math.random): number[] {
  if (strategy === 'BACKOFF_RETRY') return [0, 1, 2].map(() => 10_000 + Math.floor(random() * 10_000));
  return EXPONENTIAL_DELAYS_S.map((s) => s * 1000);
}

export class HttpPusher {
  private readonly pending = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  readonly pushes: PushRecord[] = [];
  private stopped = false;

  constructor(private readonly options: HttpPusherOptions) {}

  /** Starts pushing one message to one subscription; returns at once (MNS pushes asynchronously). */
  push(subscription: HttpSubscription, message: PublishedMessage): void {
    for (let copy = 0; copy < (this.options.copies ?? 1); copy++) {
      const delivery = this.deliver(subscription, message).finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    }
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves when every push started so far has been acknowledged or given up, retries included. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops pushing, as a crash of the stack would: messages in flight are lost. */
  stop(): void {
    this.stopped = true;
    // A retry waiting out MNS's schedule (hours) must not keep the process, or a close, waiting.
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  /** A retry's wait, cut short by stop(). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private delays(strategy: NotifyStrategy): number[] {
    return this.options.retryDelaysMs ?? retrySchedule(strategy, this.options.random);
  }

  private async deliver(subscription: HttpSubscription, message: PublishedMessage): Promise<void> {
    const record: PushRecord = { subscriptionName: subscription.subscriptionName, messageId: message.messageId, attempts: 0, ok: false };
    this.pushes.push(record);
    const delays = this.delays(subscription.notifyStrategy);
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await this.wait(delays[attempt - 1]);
      if (this.stopped) return;
      record.attempts = attempt + 1;
      this.options.telemetry.countCall('mns', 'Push');
      const fault = this.options.telemetry.pickFault('mns', 'Push');
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      if (fault && fault.status > 0) {
        record.error = `injected fault: ${fault.code}`;
        record.status = undefined;
        continue;
      }
      try {
        const response = await (this.options.fetch ?? fetch)(subscription.endpoint, { method: 'POST', ...this.request(subscription, message), signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
        await response.arrayBuffer();
        record.status = response.status;
        record.error = undefined;
        if (response.ok) {
          record.ok = true;
          this.options.telemetry.countSuccess('mns', 'Push');
          return;
        }
      } catch (error) {
        record.status = undefined;
        record.error = String((error as Error)?.message ?? error);
      }
    }
  }

  /** The headers and body of one attempt, signed. */
  request(subscription: HttpSubscription, message: PublishedMessage, now: Date = new Date()): { headers: Record<string, string>; body: string } {
    const format = subscription.notifyContentFormat;
    const body = format === 'SIMPLIFIED' ? message.body : format === 'XML' ? xmlBody(subscription, message) : jsonBody(subscription, message);
    const md5Hex = createHash('md5').update(body).digest('hex');
    const headers: Record<string, string> = {
      'content-md5': format === 'SIMPLIFIED' ? md5Hex.toUpperCase() : Buffer.from(md5Hex).toString('base64'),
      'content-type': format === 'XML' ? 'text/xml;charset=utf-8' : format === 'JSON' ? 'application/json;charset=utf-8' : 'text/plain;charset=utf-8',
      date: now.toUTCString(),
      'x-mns-request-id': randomBytes(12).toString('hex').toUpperCase(),
      'x-mns-signing-cert-url': Buffer.from(this.options.certificateUrl).toString('base64'),
      'x-mns-version': '2015-06-06',
    };
    if (format === 'SIMPLIFIED') {
      Object.assign(headers, {
        'x-mns-message-id': message.messageId,
        'x-mns-publish-time': String(message.publishTime),
        'x-mns-subscriber': subscription.topicOwner,
        'x-mns-subscription-name': subscription.subscriptionName,
        'x-mns-topic-name': subscription.topicName,
        'x-mns-topic-owner': subscription.topicOwner,
        ...(message.tag ? { 'x-mns-message-tag': message.tag } : {}),
      });
    }
    const url = new URL(subscription.endpoint);
    const mnsHeaders = Object.keys(headers)
      .filter((name) => name.startsWith('x-mns-'))
      .sort()
      .map((name) => `${name}:${headers[name]}\n`)
      .join('');
    // CanonicalizedResource is the request path (reference/deploy.md §2, doc-detail/27488); the api verifies the same.
    const toSign = `POST\n${headers['content-md5']}\n${headers['content-type']}\n${headers.date}\n${mnsHeaders}${url.pathname}`;
    headers.authorization = sign('sha1', Buffer.from(toSign), this.options.privateKey).toString('base64');
    return { headers, body };
  }
}

function fields(subscription: HttpSubscription, message: PublishedMessage): [string, string][] {
  return [
    ['TopicOwner', subscription.topicOwner],
    ['TopicName', subscription.topicName],
    // An HTTP subscription is created in the topic owner's account (the 2023 capture: subscriber = topic owner).
    ['Subscriber', subscription.topicOwner],
    ['SubscriptionName', subscription.subscriptionName],
    ['MessageId', message.messageId],
    ['Message', message.body],
    ['MessageMD5', createHash('md5').update(message.body).digest('hex').toUpperCase()],
    ...(message.tag ? ([['MessageTag', message.tag]] as [string, string][]) : []),
    ['PublishTime', String(message.publishTime)],
  ];
}

function jsonBody(subscription: HttpSubscription, message: PublishedMessage): string {
  return JSON.stringify(Object.fromEntries(fields(subscription, message)));
}

function xmlBody(subscription: HttpSubscription, message: PublishedMessage): string {
  const elements = fields(subscription, message).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<Notification xmlns="http://mns.aliyuncs.com/doc/v1/">${elements.join('')}</Notification>`;
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
