// ram:PassRole on the local stack: the local IMM checks that the operator role's session (with the session policy
// the function sends) may pass the project's service role before IMM acts as it. With the grants `policy generate`
// writes, an image score and a video task go through; without the operator role's PassImmServiceRole statement,
// both fail with a hint naming `ram:PassRole`, while GetTask (which passes no role) still answers.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generatePolicies } from '../../shared/policy';
import { sceneJpeg } from '../helpers/images';
import { callApi, partnerClient, readSidecar, startTestStack, waitForTask, type TestStack } from '../helpers/stack';

const run = promisify(execFile);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

describe('ram:PassRole on the project service role (local stack)', () => {
  let stack: TestStack;
  let dir: string;
  let image: Buffer;
  let video: Buffer;

  beforeAll(async () => {
    stack = await startTestStack();
    dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-passrole-'));
    const file = path.join(dir, 'clip.mp4');
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', file]);
    video = readFileSync(file);
    image = await sceneJpeg(320, 240, 3);
  });
  afterAll(async () => {
    await stack?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const generated = () => generatePolicies(stack.deploy).operatorRolePolicy;
  const serviceRoleArn = () => `acs:ram::${stack.deploy.mediaAccountId}:role/AliyunIMMDefaultRole`;
  const passRoleDecisions = () => stack.telemetry.recentDecisions().filter((d) => d.action === 'ram:PassRole');

  it('with the generated grants, an image score and a video task go through, each passing the role as the operator session', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);

    // Act
    await partner.put('incoming/pass/photo.jpg', image);
    await partner.put('incoming/pass/clip.mp4', video);
    await stack.quiescent();
    const photo = await readSidecar(partner, 'incoming/pass/photo.jpg');
    const clip = await readSidecar(partner, 'incoming/pass/clip.mp4');
    const task = await waitForTask(stack.info, 'MediaConvert', clip.taskId, 20000);

    // Assess
    expect(photo).toMatchObject({ status: 'succeeded', operation: 'DetectImageScore' });
    expect(clip).toMatchObject({ status: 'succeeded', operation: 'CreateMediaConvertTask' });
    expect(task).toMatchObject({ status: 'Succeeded' });
    const decisions = passRoleDecisions();
    expect(decisions.length).toBeGreaterThanOrEqual(2);
    for (const d of decisions) {
      expect(d).toMatchObject({ service: 'imm', resource: serviceRoleArn(), decision: 'Allow' });
      expect(d.principal).toMatch(new RegExp(`^arn:sts::${stack.deploy.mediaAccountId}:assumed-role/imm-bridge-operator/`));
    }
  });

  it('without the operator role\'s PassRole statement, the score and the task fail with a hint naming ram:PassRole; GetTask still answers', async () => {
    // Prepare: the generated policy, less its PassImmServiceRole statement
    const partner = partnerClient(stack.info, true);
    const full = generated();
    const withoutPassRole = { ...full, Statement: full.Statement.filter((s) => s.Sid !== 'PassImmServiceRole') };
    expect(withoutPassRole.Statement.length).toBe(full.Statement.length - 1);
    await partner.put('incoming/before/clip.mp4', video);
    await stack.quiescent();
    const earlier = await readSidecar(partner, 'incoming/before/clip.mp4');
    stack.ram.setRolePolicies(stack.info.roleArn, [withoutPassRole]);

    try {
      // Act
      await partner.put('incoming/nopass/photo.jpg', image);
      await partner.put('incoming/nopass/clip.mp4', video);
      await stack.quiescent();
      const photo = await readSidecar(partner, 'incoming/nopass/photo.jpg');
      const clip = await readSidecar(partner, 'incoming/nopass/clip.mp4');
      const api = await callApi(stack.info, 'POST', '/media/convert', { uri: `oss://${stack.info.bucket}/incoming/nopass/clip.mp4` });
      const status = await callApi(stack.info, 'GET', `/tasks/MediaConvert/${earlier.taskId}`);

      // Assess
      for (const sidecar of [photo, clip]) {
        expect(sidecar.status).toBe('failed');
        expect(sidecar.error).toMatchObject({ code: 'ImmPassRoleDenied', message: expect.stringContaining('ram:PassRole') });
        expect(sidecar.error.hint).toContain(`\`ram:PassRole\` on \`${serviceRoleArn()}\``);
        expect(sidecar.error.hint).toContain(stack.info.roleArn);
      }
      expect(api.status).toBe(403);
      expect(api.body.error).toMatchObject({ code: 'ImmPassRoleDenied', hint: expect.stringContaining('ram:PassRole') });
      expect(status.status).toBe(200);
      expect(passRoleDecisions().some((d) => d.decision !== 'Allow' && d.resource === serviceRoleArn())).toBe(true);
    } finally {
      stack.ram.setRolePolicies(stack.info.roleArn, [full]);
    }
  });
});
