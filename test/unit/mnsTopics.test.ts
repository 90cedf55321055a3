// The offline MNS topics and FC's async queue for topic events: formats, filter tags, unknown topics, and
// queue files written by an older runner.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FcRunner } from '../../local/fc';
import { X509Certificate } from 'node:crypto';
import { createSigningCertificate, HttpPusher, MnsAccessDeniedError, MnsTopics, retrySchedule, TopicNotFoundError, type HttpSubscription } from '../../local/mns';
import { Ram, type Caller } from '../../local/ram';
import { Telemetry } from '../../local/telemetry';
import { parseMnsEvent } from '../../shared/fc/mnsEvent';
import { createMnsPushVerifier } from '../../shared/mnsPush';

const MEDIA = '2000000000000002';
const OTHER = '3000000000000003';
const TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };
const publishTo = (account: string, topic: string) => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['mns:PublishMessage'], Resource: [`acs:mns:cn-hangzhou:${account}:/topics/${topic}/messages`] }] });

function topics() {
  const delivered: { functionName: string; payload: string; label: string }[] = [];
  const telemetry = new Telemetry();
  const ram = new Ram(telemetry);
  ram.addAccount(MEDIA, 'media');
  ram.addAccount(OTHER, 'other');
  const session = (account: string, policies: unknown[]): Caller => ram.issueSession(ram.addRole(account, `imm-${policies.length}-${account.slice(0, 1)}`, TRUST, policies), 'imm-service', 3600).caller;
  const mns = new MnsTopics({ telemetry, ram, region: 'cn-hangzhou', deliver: (functionName, payload, label) => void delivered.push({ functionName, payload, label }), now: () => 1550216302888 });
  mns.createTopic(MEDIA, 'done');
  const imm = session(MEDIA, [publishTo(MEDIA, 'done')]);
  return { mns, delivered, telemetry, ram, imm, session };
}

describe('MnsTopics', () => {
  it('delivers the JSON format that shared/fc/mnsEvent parses, with an MD5 of the body', () => {
    // Prepare
    const { mns, delivered, telemetry, imm } = topics();
    mns.addTrigger({ topicOwner: MEDIA, topicName: 'done', functionName: 'f', subscriber: '1', format: 'JSON' });
    // Act
    const messageId = mns.publish(imm, MEDIA, 'done', 'hello');
    // Assess
    const event = JSON.parse(delivered[0].payload);
    expect(event).toMatchObject({ TopicOwner: MEDIA, TopicName: 'done', Subscriber: '1', MessageId: messageId, Message: 'hello', MessageMD5: '5D41402ABC4B2A76B9719D911017C592', PublishTime: 1550216302888 });
    expect(parseMnsEvent(Buffer.from(delivered[0].payload))).toMatchObject({ body: 'hello', messageId, topicName: 'done' });
    expect(delivered[0]).toMatchObject({ functionName: 'f', label: `done/${messageId}` });
    expect(telemetry.stats().succeeded['mns:PublishMessage']).toBe(1);
  });

  it('delivers the body alone in the STREAM format, and honours filter tags', () => {
    // Prepare
    const { mns, delivered, imm } = topics();
    mns.addTrigger({ topicOwner: MEDIA, topicName: 'done', functionName: 'stream', subscriber: '1', format: 'STREAM' });
    mns.addTrigger({ topicOwner: MEDIA, topicName: 'done', functionName: 'tagged', subscriber: '1', format: 'JSON', filterTag: 'imm' });
    // Act
    mns.publish(imm, MEDIA, 'done', 'untagged');
    mns.publish(imm, MEDIA, 'done', 'tagged body', 'imm');
    // Assess
    expect(delivered.map((d) => [d.functionName, d.functionName === 'stream' ? d.payload : JSON.parse(d.payload).Message])).toEqual([
      ['stream', 'untagged'],
      ['stream', 'tagged body'],
      ['tagged', 'tagged body'],
    ]);
  });

  it('refuses an unknown topic (another account has no such topic) and a message over 64 KiB', () => {
    // Prepare
    const { mns, imm } = topics();
    // Act / Assess
    expect(() => mns.publish(imm, OTHER, 'done', 'x')).toThrow(TopicNotFoundError);
    expect(() => mns.addTrigger({ topicOwner: OTHER, topicName: 'done', functionName: 'f', subscriber: '1', format: 'JSON' })).toThrow(TopicNotFoundError);
    expect(() => mns.publish(imm, MEDIA, 'done', 'x'.repeat(64 * 1024 + 1))).toThrow(/64|65536/);
  });

  it('lets only a publisher of the owner account that RAM allows mns:PublishMessage on the topic publish', () => {
    // Prepare
    const { mns, delivered, session } = topics();
    mns.addTrigger({ topicOwner: MEDIA, topicName: 'done', functionName: 'f', subscriber: '1', format: 'JSON' });
    const withoutGrant = session(MEDIA, []);
    const otherTopicGrant = session(MEDIA, [publishTo(MEDIA, 'other'), { Version: '1', Statement: [] }]);
    const otherAccount = session(OTHER, [publishTo(MEDIA, 'done')]);
    // Act / Assess
    expect(() => mns.publish(withoutGrant, MEDIA, 'done', 'x')).toThrow(MnsAccessDeniedError);
    expect(() => mns.publish(otherTopicGrant, MEDIA, 'done', 'x')).toThrow(/ImplicitDeny/);
    expect(() => mns.publish(otherAccount, MEDIA, 'done', 'x')).toThrow(/may not publish to a topic of account/);
    expect(delivered).toEqual([]);
  });
});

describe('MNS HTTP endpoint subscriptions', () => {
  const certificate = createSigningCertificate();
  const CERT_URL = 'http://localhost:9100/mnstest/cert.pem';
  const subscription = (fields: Partial<HttpSubscription> = {}): HttpSubscription => ({
    topicOwner: MEDIA,
    topicName: 'done',
    subscriptionName: 'api',
    endpoint: 'http://127.0.0.1:9103/notifications/imm',
    notifyContentFormat: 'JSON',
    notifyStrategy: 'EXPONENTIAL_DECAY_RETRY',
    ...fields,
  });

  /** Topics whose pushes go to `answer` (a fake endpoint: no socket), with retries 1 ms apart. */
  function pushing(answer: (request: { url: string; headers: Record<string, string>; body: string }) => number) {
    const { telemetry, ram, imm } = topics();
    const seen: { url: string; headers: Record<string, string>; body: string }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      const request = { url, headers: init.headers as Record<string, string>, body: String(init.body) };
      seen.push(request);
      return new Response(null, { status: answer(request) });
    }) as unknown as typeof fetch;
    const pusher = new HttpPusher({ telemetry, privateKey: certificate.privateKey, certificateUrl: CERT_URL, retryDelaysMs: [1, 1, 1], fetch: fakeFetch });
    const mns = new MnsTopics({ telemetry, ram, region: 'cn-hangzhou', deliver: () => undefined, pusher });
    mns.createTopic(MEDIA, 'done');
    return { mns, pusher, seen, telemetry, imm };
  }

  it('serves a certificate that is a valid self-signed X.509 for the signing key', () => {
    // Act
    const x509 = new X509Certificate(certificate.pem);
    // Assess
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.subject).toContain('CN=notify');
    expect(x509.publicKey.asymmetricKeyType).toBe('rsa');
    expect(certificate.fileName).toMatch(/^x509_public_certificate-[0-9a-f]{16}\.pem$/);
  });

  it.each(['JSON', 'XML', 'SIMPLIFIED'] as const)('pushes a %s message, signed so that shared/mnsPush accepts it', async (format) => {
    // Prepare
    const { mns, pusher, seen, imm, telemetry } = pushing(() => 204);
    mns.subscribe(subscription({ notifyContentFormat: format }));
    const verifier = createMnsPushVerifier({ allowedPrefixes: ['http://localhost:9100/mnstest/'], fetch: async () => new Response(certificate.pem) });
    // Act
    const messageId = mns.publish(imm, MEDIA, 'done', '{"task":"done & <ok>"}', 'imm');
    expect(mns.busy).toBe(true);
    await mns.idle();
    const verified = await verifier.verify({ method: 'POST', path: '/notifications/imm', headers: seen[0].headers, body: Buffer.from(seen[0].body) });
    // Assess
    expect(seen.map((r) => r.url)).toEqual(['http://127.0.0.1:9103/notifications/imm']);
    expect(Buffer.from(seen[0].headers['x-mns-signing-cert-url'], 'base64').toString()).toBe(CERT_URL);
    expect(verified).toMatchObject({ format, body: '{"task":"done & <ok>"}', messageId, tag: 'imm' });
    expect(pusher.pushes).toEqual([{ subscriptionName: 'api', messageId, attempts: 1, ok: true, status: 204 }]);
    expect(telemetry.stats().succeeded['mns:Push']).toBe(1);
    expect(mns.busy).toBe(false);
  });

  it('retries an answer that is not 2xx, each attempt signed anew, until acknowledged', async () => {
    // Prepare
    let calls = 0;
    const { mns, pusher, seen, imm } = pushing(() => (++calls < 3 ? 503 : 200));
    mns.subscribe(subscription());
    // Act
    mns.publish(imm, MEDIA, 'done', 'x');
    await mns.idle();
    // Assess
    expect(pusher.pushes[0]).toMatchObject({ attempts: 3, ok: true, status: 200 });
    expect(new Set(seen.map((r) => r.headers['x-mns-request-id'])).size).toBe(3);
  });

  it('drops a push whose every attempt hits the fault rule mns/Push, and honours filter tags', async () => {
    // Prepare
    const { mns, pusher, seen, imm, telemetry } = pushing(() => 204);
    mns.subscribe(subscription());
    mns.subscribe(subscription({ subscriptionName: 'tagged', filterTag: 'other' }));
    telemetry.setFaults([{ service: 'mns', action: 'Push', rate: 1, status: 503, code: 'Drop' }]);
    // Act
    mns.publish(imm, MEDIA, 'done', 'x');
    await mns.idle();
    // Assess
    expect(seen).toEqual([]);
    expect(pusher.pushes).toEqual([{ subscriptionName: 'api', messageId: expect.any(String), attempts: 4, ok: false, error: 'injected fault: Drop' }]);
    expect(telemetry.stats().calls['mns:Push']).toBe(4);
  });

  it('follows the NotifyStrategy schedules of the MNS docs', () => {
    // Act
    const backoff = retrySchedule('BACKOFF_RETRY', () => 0.5);
    const exponential = retrySchedule('EXPONENTIAL_DECAY_RETRY');
    // Assess
    expect(backoff).toEqual([15_000, 15_000, 15_000]);
    expect(exponential).toHaveLength(176);
    expect(exponential.slice(0, 11)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 512].map((s) => s * 1000));
    expect(exponential.reduce((a, b) => a + b, 0) / 3_600_000).toBeCloseTo(24, 0);
  });

  it('refuses a subscription to an unknown topic', () => {
    // Prepare
    const { mns } = pushing(() => 204);
    // Act / Assess
    expect(() => mns.subscribe(subscription({ topicOwner: OTHER }))).toThrow(TopicNotFoundError);
  });
});

describe('FcRunner async queue for any trigger', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fc-queue-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function runner(handler: (event: Buffer) => Promise<unknown>) {
    const fc = new FcRunner({
      telemetry: new Telemetry(),
      region: 'cn-hangzhou',
      accountId: '1',
      retryDelaysMs: [1, 1, 1],
      queueDir: dir,
      assumeRole: async () => ({ accessKeyId: 'STS.fn', accessKeySecret: 'secret', securityToken: 'token' }),
    });
    fc.deploy({ name: 'f', roleArn: 'acs:ram::1:role/fn', handler });
    return fc;
  }

  it('delivers a topic payload byte for byte, retries it, and removes it from the queue once handled', async () => {
    // Prepare
    const seen: string[] = [];
    const fc = runner(async (event) => {
      seen.push(event.toString('utf8'));
      if (seen.length < 2) throw new Error('not yet');
    });
    // Act
    fc.deliverAsync('f', '{"Message":"m"}', 'done/M1');
    await fc.idle();
    // Assess
    expect(seen).toEqual(['{"Message":"m"}', '{"Message":"m"}']);
    expect(fc.deliveries).toEqual([{ functionName: 'f', key: 'done/M1', attempts: 2, ok: true }]);
    expect(fc.busy).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('resumes a queue file an older runner wrote (one OSS record) as an OSS event', async () => {
    // Prepare
    const record = JSON.parse(readFileSync(path.join(__dirname, '../../../shared/data/fc-events/oss.json'), 'utf8')).events[0];
    mkdirSync(path.join(dir, 'dead'), { recursive: true });
    writeFileSync(path.join(dir, 'old.json'), JSON.stringify({ id: 'old', functionName: 'f', record, attempts: 1 }));
    const seen: unknown[] = [];
    const fc = runner(async (event) => void seen.push(JSON.parse(event.toString('utf8'))));
    // Act
    const resumed = fc.resume();
    await fc.idle();
    // Assess
    expect(resumed).toBe(1);
    expect(seen).toEqual([{ events: [record] }]);
    expect(fc.deliveries[0]).toMatchObject({ key: record.oss.object.key, attempts: 2, ok: true });
  });

  it('refuses a topic event for a function that is not deployed', () => {
    // Prepare
    const fc = runner(async () => undefined);
    // Act / Assess
    expect(() => fc.deliverAsync('missing', '{}', 'x')).toThrow(/no function/);
  });
});
