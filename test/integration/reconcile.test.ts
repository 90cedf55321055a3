// The reconciler on the local stack, deployed from s.yaml and called as FC's timer trigger calls it (a timer event,
// a context with the function role's keys), through real OSS, STS and IMM. The trigger is disabled here, so that
// each run happens exactly when the test says; test/integration/crash.test.ts lets the timer fire on its own.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createHandler as createOnUpload } from '../../functions/on-upload';
import { loadConfig } from '../../shared/config';
import { createSidecarStore } from '../../shared/oss';
import type { ReconcileSummary } from '../../shared/reconcile';
import { sceneJpeg } from '../helpers/images';
import { partnerClient, readSidecar, setFaults, startTestStack, stats, sYamlWith, type TestStack } from '../helpers/stack';

const run = promisify(execFile);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** FC 3.0's timer trigger event (alibabacloud.com/help/en/fc/formats-of-event-for-different-triggers). */
const timerEvent = () => Buffer.from(JSON.stringify({ triggerTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), triggerName: 'reconcile', payload: '' }));

describe('reconciler (local stack)', () => {
  let stack: TestStack;
  let dir: string;
  let functionRole: string;
  const logDestination = { write: (line: string) => void stack.logLines.push(line) };
  const reconcileOnce = async () => (await stack.runner.invoke(stack.functionName('reconcile'), timerEvent())) as ReconcileSummary;
  const pendingKeys = async () => ((await partnerClient(stack.info, true).listV2({ prefix: 'results/_pending/' }, {})).objects ?? []).map((o) => o.name);

  beforeAll(async () => {
    // Ask IMM about a submitted task at once: the test has no 10 minutes to wait.
    stack = await startTestStack({
      functionEnv: { RECONCILE_SUBMITTED_AFTER_SECONDS: '0' },
      sYamlText: sYamlWith({ 'resources.reconcile.props.triggers.0.triggerConfig.enable': false }),
    });
    dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-reconcile-'));
    functionRole = `acs:ram::${stack.deploy.dataAccountId}:role/${stack.deploy.functionRoleName}`;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await stack?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('settles every submitted sidecar when every MNS push is dropped, reading only what is pending among 1,000 settled sidecars', async () => {
    // Prepare: the admin fault drops every push of the task topic's HTTP subscription; 1,000 settled sidecars sit beside.
    await setFaults(stack.info, [{ service: 'mns', action: 'Push', rate: 1, status: 503, code: 'PushDropped' }]);
    const partner = partnerClient(stack.info, true);
    const video = path.join(dir, 'clip.mp4');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', video]);
    const keys = ['incoming/lost/a.mp4', 'incoming/lost/b.mp4', 'incoming/lost/c.mp4'];
    for (let i = 0; i < 1000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => partner.put(`results/incoming/settled/${i + j}.jpg.json`, Buffer.from(JSON.stringify({ status: 'succeeded', score: 0.5 })))));
    }
    await Promise.all(keys.map((key) => partner.put(key, video)));
    await stack.quiescent();
    const stranded = await Promise.all(keys.map((key) => readSidecar(partner, key)));
    const markers = await pendingKeys();
    const before = await stats(stack.info);
    // Act
    const summary = await reconcileOnce();
    const after = await stats(stack.info);
    const settled = await Promise.all(keys.map((key) => readSidecar(partner, key)));
    const next = await reconcileOnce();
    await setFaults(stack.info, []);
    // Assess
    const delta = (name: string) => (after.calls[name] ?? 0) - (before.calls[name] ?? 0);
    expect(after.calls['mns:Push'] ?? 0).toBeGreaterThanOrEqual(3);
    expect(after.succeeded['mns:Push'] ?? 0).toBe(0);
    expect(stranded.map((s) => s.status)).toEqual(['submitted', 'submitted', 'submitted']);
    expect(markers).toHaveLength(3);
    expect(summary).toEqual({ listed: 3, settled: 3, redriven: 0, dropped: 0, left: 0, errors: 0 });
    expect(settled.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(settled.map((s) => s.taskId)).toEqual(stranded.map((s) => s.taskId));
    // One list of the pending prefix, and per pending upload its sidecar read twice (reconciler, then taskDone)
    // and one GetTask: nothing scales with the 1,000 settled sidecars.
    expect(delta('oss:ListObjectsV2')).toBe(1);
    expect(delta('oss:GetObject')).toBeLessThanOrEqual(3 * 3);
    expect(delta('imm:GetTask')).toBe(3);
    expect(await pendingKeys()).toEqual([]);
    expect(next.listed).toBe(0);
  });

  it('re-drives an upload whose attempt died holding its claim, after FC\'s retries gave up on the event', async () => {
    // Prepare: an on-upload whose container dies after IMM answered, before the sidecar is written; with a 4 s
    // timeout its claim expires 2 s later (runtime.ts: the deadline margin), while FC's retries (10, 20, 40 ms
    // here) all meet it live.
    const env = stack.functionEnv;
    const crashing = createOnUpload({
      env,
      logDestination,
      sidecars: (credentials) => ({
        ...createSidecarStore(credentials, loadConfig(env)),
        write: async () => {
          throw new Error('the container was stopped');
        },
      }),
    });
    stack.runner.deploy({ name: stack.functionName('on-upload'), roleArn: functionRole, handler: crashing, timeoutSeconds: 4 });
    const partner = partnerClient(stack.info, true);
    const before = await stats(stack.info);
    await partner.put('incoming/crash/photo.jpg', await sceneJpeg(160, 120, 3));
    await stack.settled();
    stack.redeploy();
    const dead = stack.runner.deliveries.filter((d) => d.key === 'incoming/crash/photo.jpg');
    const markers = await pendingKeys();
    const early = await reconcileOnce();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    // Act
    const summary = await reconcileOnce();
    const sidecar = await readSidecar(partner, 'incoming/crash/photo.jpg');
    const after = await stats(stack.info);
    // Assess
    expect(dead).toEqual([expect.objectContaining({ ok: false, attempts: 4 })]);
    expect(markers).toHaveLength(1);
    expect(early).toMatchObject({ listed: 1, left: 1 });
    expect(summary).toEqual({ listed: 1, settled: 0, redriven: 1, dropped: 0, left: 0, errors: 0 });
    expect(sidecar).toMatchObject({ status: 'succeeded', score: expect.any(Number) });
    // One call from the attempt that died, exactly one more from the reconciler.
    expect(after.calls['imm:DetectImageScore'] - (before.calls['imm:DetectImageScore'] ?? 0)).toBe(2);
    expect(await pendingKeys()).toEqual([]);
  });
});
