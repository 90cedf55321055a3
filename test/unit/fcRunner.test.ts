import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FcRunner, matchesTrigger, type OssTrigger } from '../../local/fc';
import { Telemetry } from '../../local/telemetry';
import type { FcContext, FcOssEventRecord } from '../../shared/fc/types';

const template: FcOssEventRecord = JSON.parse(readFileSync(path.join(__dirname, '../../../shared/data/fc-events/oss.json'), 'utf8')).events[0];
const recordFor = (key: string, eventName = 'ObjectCreated:PutObject', bucket = 'bkt'): FcOssEventRecord => ({
  ...template,
  eventName,
  oss: { ...template.oss, bucket: { ...template.oss.bucket, name: bucket }, object: { ...template.oss.object, key } },
});

describe('matchesTrigger', () => {
  const trigger: OssTrigger = { functionName: 'f', bucket: 'bkt', events: ['oss:ObjectCreated:*'], prefix: 'incoming/', suffix: '' };

  it.each([
    [recordFor('incoming/a.jpg'), true],
    [recordFor('incoming/a.jpg', 'ObjectCreated:CopyObject'), true],
    [recordFor('results/incoming/a.jpg.json'), false],
    [recordFor('incoming/a.jpg', 'ObjectRemoved:DeleteObject'), false],
    [recordFor('incoming/a.jpg', 'ObjectCreated:PutObject', 'other'), false],
  ])('matches %#', (record, expected) => {
    // Act / Assess
    expect(matchesTrigger(trigger, record)).toBe(expected);
  });

  it('honours suffix and exact event names', () => {
    // Prepare
    const narrow: OssTrigger = { ...trigger, events: ['oss:ObjectCreated:PutObject'], suffix: '.png' };
    // Act / Assess
    expect(matchesTrigger(narrow, recordFor('incoming/a.png'))).toBe(true);
    expect(matchesTrigger(narrow, recordFor('incoming/a.jpg'))).toBe(false);
    expect(matchesTrigger(narrow, recordFor('incoming/a.png', 'ObjectCreated:CopyObject'))).toBe(false);
  });
});

describe('FcRunner', () => {
  function runner(handler: (event: Buffer, context: FcContext) => Promise<unknown>) {
    const telemetry = new Telemetry();
    const assumed: string[] = [];
    const fc = new FcRunner({
      telemetry,
      region: 'cn-hangzhou',
      accountId: '1',
      retryDelaysMs: [1, 1, 1],
      assumeRole: async (roleArn) => {
        assumed.push(roleArn);
        return { accessKeyId: 'STS.fn', accessKeySecret: 'secret', securityToken: 'token', expiration: new Date(Date.now() + 3600_000) };
      },
    });
    fc.deploy({ name: 'f', roleArn: 'acs:ram::1:role/fn', handler });
    fc.addOssTrigger({ functionName: 'f', bucket: 'bkt', events: ['oss:ObjectCreated:*'], prefix: 'incoming/', suffix: '' });
    return { fc, telemetry, assumed };
  }

  it('delivers a Buffer event with role credentials in the context, and retries a failing invocation 3 times', async () => {
    // Prepare
    const seen: { event: unknown; context: FcContext }[] = [];
    const { fc, telemetry, assumed } = runner(async (event, context) => {
      seen.push({ event: JSON.parse(event.toString()), context });
      throw new Error('boom');
    });
    // Act
    fc.deliverOssEvent(recordFor('incoming/a.jpg'));
    await fc.idle();
    // Assess
    expect(seen).toHaveLength(4);
    expect(seen[0].event).toEqual({ events: [recordFor('incoming/a.jpg')] });
    expect(seen[0].context.credentials).toEqual({ accessKeyId: 'STS.fn', accessKeySecret: 'secret', securityToken: 'token' });
    expect(seen.map((s) => s.context.retryCount)).toEqual([0, 1, 2, 3]);
    expect(new Set(seen.map((s) => s.context.requestId)).size).toBe(4);
    expect(fc.deliveries).toEqual([{ functionName: 'f', key: 'incoming/a.jpg', attempts: 4, ok: false, error: 'boom' }]);
    expect(telemetry.stats().invocations).toEqual({ f: 4 });
    expect(assumed).toEqual(['acs:ram::1:role/fn']);
  });

  it('stops retrying after a success', async () => {
    // Prepare
    let calls = 0;
    const { fc } = runner(async () => {
      calls += 1;
      if (calls === 1) throw new Error('transient');
      return 'ok';
    });
    // Act
    fc.deliverOssEvent(recordFor('incoming/b.jpg'));
    await fc.idle();
    // Assess
    expect(calls).toBe(2);
    expect(fc.deliveries[0]).toMatchObject({ attempts: 2, ok: true });
  });
});
