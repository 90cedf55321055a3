// Task results cross accounts as a signed MNS HTTP push (no cross-account FC trigger): the media account's
// topic pushes to the api's POST /notifications/imm, which checks MNS's signature against the certificate
// the local OSS serves from MNS's own `mnstest` bucket. Forged pushes get 4xx and change nothing.
import { generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSigningCertificate, HttpPusher, type HttpSubscription } from '../../local/mns';
import { Telemetry } from '../../local/telemetry';
import { partnerClient, readSidecar, setFaults, startTestStack, type TestStack } from '../helpers/stack';

const run = promisify(execFile);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

describe('MNS HTTP push of task results (local stack)', () => {
  let stack: TestStack;
  let dir: string;
  let sample: Buffer;

  beforeAll(async () => {
    stack = await startTestStack();
    dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-push-'));
    const file = path.join(dir, 'sample.mp4');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', file]);
    sample = readFileSync(file);
  });
  afterAll(async () => {
    await setFaults(stack.info, []);
    await stack?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const subscription = (): HttpSubscription => ({
    topicOwner: stack.info.accounts.media.uid,
    topicName: 'imm-bridge-task-done',
    subscriptionName: 'imm-bridge-api',
    endpoint: `${stack.info.endpoints.api}/notifications/imm`,
    notifyContentFormat: 'JSON',
    notifyStrategy: 'EXPONENTIAL_DECAY_RETRY',
  });

  const send = async (request: { headers: Record<string, string>; body: string }) => {
    const response = await fetch(`${stack.info.endpoints.api}/notifications/imm`, { method: 'POST', headers: request.headers, body: request.body });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };

  it('a video upload reaches succeeded through the signed push, with MNS\'s certificate public in its own bucket', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const pushes = stack.topics.pusher!.pushes;
    const before = pushes.length;
    // Act
    await partner.put('incoming/push/clip.mp4', sample);
    await stack.quiescent();
    const sidecar = await readSidecar(partner, 'incoming/push/clip.mp4');
    const certificateUrl = stack.functionEnv.MNS_CERT_URL_PREFIXES;
    const listed = await stack.oss.objects.list('mnstest');
    const anonymous = await fetch(`${certificateUrl}${listed[0].key}`);
    // Assess
    expect(sidecar).toMatchObject({ status: 'succeeded', taskType: 'MediaConvert' });
    expect(pushes.slice(before)).toEqual([expect.objectContaining({ subscriptionName: 'imm-bridge-api', ok: true, status: 204, attempts: 1 })]);
    expect(stack.telemetry.stats().invocations['on-task-done'] ?? 0).toBe(0);
    expect(certificateUrl).toBe(`${stack.info.endpoints.oss}/mnstest/`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.text()).toContain('BEGIN CERTIFICATE');
    expect((await stack.oss.buckets.get('mnstest'))?.ownerUid).not.toBe(stack.info.accounts.data.uid);
  });

  it('a dropped push leaves the sidecar submitted; forged pushes get 4xx and change nothing; the genuine one settles it', async () => {
    // Prepare: every push is dropped (fault rule mns/Push), so the task's own notification never arrives.
    const partner = partnerClient(stack.info, true);
    await setFaults(stack.info, [{ service: 'mns', action: 'Push', rate: 1, status: 503, code: 'Drop' }]);
    await partner.put('incoming/push/forged.mp4', sample);
    await stack.quiescent();
    await setFaults(stack.info, []);
    const pending = await readSidecar(partner, 'incoming/push/forged.mp4');
    const message = {
      messageId: 'F00D',
      publishTime: Date.now(),
      body: JSON.stringify({
        id: 'n1',
        source: 'acs.imm',
        type: 'imm:Task:MediaConvert',
        content: JSON.stringify({ ProjectName: stack.info.immProject, TaskType: 'MediaConvert', TaskId: pending.taskId, Status: 'Succeeded', UserData: '' }),
      }),
    };
    const genuine = stack.topics.pusher!.request(subscription(), message);
    const attacker = createSigningCertificate();
    const otherKey = new HttpPusher({ telemetry: new Telemetry(), privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, certificateUrl: Buffer.from(genuine.headers['x-mns-signing-cert-url'], 'base64').toString() });
    const ownCertificate = new HttpPusher({ telemetry: new Telemetry(), privateKey: attacker.privateKey, certificateUrl: `${stack.info.endpoints.oss}/${stack.info.bucket}/attacker/evil.pem` });
    // The partner can host a certificate in its own bucket, but cannot write MNS's.
    await partner.put('attacker/evil.pem', Buffer.from(attacker.pem));
    const mnsBucketWrite = await partnerClientFor(stack, 'mnstest').put('evil.pem', Buffer.from(attacker.pem)).then(() => 'written', (e: { status?: number }) => e.status);
    // Act
    const badSignature = await send(otherKey.request(subscription(), message));
    const outsidePrefix = await send(ownCertificate.request(subscription(), message));
    const changedBody = await send({ headers: genuine.headers, body: genuine.body.replace('"Succeeded', '"Failed') });
    const afterForgeries = await readSidecar(partner, 'incoming/push/forged.mp4');
    const accepted = await send(genuine);
    const settled = await readSidecar(partner, 'incoming/push/forged.mp4');
    // Assess
    expect(pending.status).toBe('submitted');
    expect(mnsBucketWrite).toBe(403);
    expect(badSignature).toMatchObject({ status: 403, body: { error: { code: 'MnsSignatureInvalid' } } });
    expect(outsidePrefix).toMatchObject({ status: 403, body: { error: { code: 'MnsCertificateUrlNotAllowed' } } });
    expect(changedBody).toMatchObject({ status: 403, body: { error: { code: 'MnsBodyMismatch' } } });
    expect(afterForgeries).toEqual(pending);
    expect(accepted.status).toBe(204);
    expect(settled).toMatchObject({ status: 'succeeded', taskId: pending.taskId });
  });
});

/** The partner's ali-oss client aimed at another bucket. */
function partnerClientFor(stack: TestStack, bucket: string) {
  const client = partnerClient(stack.info, true);
  client.useBucket(bucket);
  return client;
}
