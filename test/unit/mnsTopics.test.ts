// The offline MNS topics and FC's async queue for topic events: formats, filter tags, unknown topics, and
// queue files written by an older runner.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FcRunner } from '../../local/fc';
import { MnsAccessDeniedError, MnsTopics, TopicNotFoundError } from '../../local/mns';
import { Ram, type Caller } from '../../local/ram';
import { Telemetry } from '../../local/telemetry';
import { parseMnsEvent } from '../../shared/fc/mnsEvent';

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
  return { mns, delivered, telemetry, imm, session };
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
