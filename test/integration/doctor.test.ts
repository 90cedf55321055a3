// `npm run cli -- doctor --local` against the local stack, run in-process as a user runs it (stack.json in LOCAL_DIR):
// every link holds on a healthy stack; each single misconfiguration, made the way a user would make it (ali-oss,
// the stack's RAM, a redeploy, another s.yaml), breaks exactly its link, with a fix, and the fix makes doctor pass again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { runDoctor, type DoctorLink } from '../../cli/doctor';
import { generatePolicies } from '../../shared/policy';
import { partnerClient, startTestStack, sYamlWith, type TestStack } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');

interface DoctorRun {
  code: number;
  links: DoctorLink[];
  stderr: string;
}

/** Writes the stack's stack.json where `--local` reads it (LOCAL_DIR), and runs doctor with `--json`, or as text. */
async function doctor(stack: TestStack, args: string[] = ['--json']): Promise<DoctorRun & { stdout: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'doctor-'));
  try {
    writeFileSync(path.join(dir, 'stack.json'), JSON.stringify(stack.info));
    let stdout = '';
    let stderr = '';
    const code = await runDoctor(['--local', ...args], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: ROOT }, { LOCAL_DIR: dir });
    const links = args.includes('--json') && stdout ? ((JSON.parse(stdout) as { links: DoctorLink[] }).links ?? []) : [];
    return { code, links, stderr, stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const failing = (run: DoctorRun) => run.links.filter((l) => l.status === 'broken').map((l) => l.name).sort();

function expectBroken(run: DoctorRun, names: string[], fix: RegExp): void {
  expect({ code: run.code, failing: failing(run) }).toEqual({ code: 1, failing: [...names].sort() });
  for (const link of run.links.filter((l) => l.status === 'broken')) expect(link.fix).toBeTruthy();
  expect(run.links.find((l) => l.name === names[0])?.fix).toMatch(fix);
}

describe('doctor --local', () => {
  let stack: TestStack;
  let partner: OSS;
  const policies = () => generatePolicies(stack.deploy);
  const functionRoleArn = () => `acs:ram::${stack.deploy.dataAccountId}:role/${stack.deploy.functionRoleName}`;

  beforeAll(async () => {
    stack = await startTestStack();
    partner = partnerClient(stack.info);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('passes every link of a healthy stack and exits 0', async () => {
    // Act
    const run = await doctor(stack);
    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.links.map((l) => l.name)).toEqual([
      'bucket',
      'bucket-versioning',
      'bucket-policy:ImmReadsInputs',
      'bucket-policy:ImmWritesOutputs',
      'function:on-upload',
      'triggers:on-upload',
      'function:api',
      'triggers:api',
      'function:reconcile',
      'triggers:reconcile',
      'topic-subscription',
      'health:assume-role',
      'health:imm-project',
      'health:probe-write',
      'health:imm-reads-input',
      'health:probe-delete',
    ]);
    // Only the topic subscription cannot be seen with the data account's keys; it is said so, not passed.
    expect(run.links.filter((l) => l.status !== 'ok').map((l) => [l.name, l.status])).toEqual([['topic-subscription', 'unchecked']]);
  });

  it('prints ✓ per link as text, and the probe leaves no object behind', async () => {
    // Act
    const run = await doctor(stack, []);
    await stack.quiescent();
    const listed = await partner.listV2({ prefix: '', 'max-keys': '1000' }, {});
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ bucket /m);
    expect(run.stdout).toMatch(/^✓ health:imm-reads-input /m);
    expect(run.stdout).not.toMatch(/✗/);
    expect((listed.objects ?? []).map((o) => o.name)).toEqual([]);
  });

  it.each([
    ['ImmReadsInputs', ['bucket-policy:ImmReadsInputs', 'health:imm-reads-input']],
    ['ImmWritesOutputs', ['bucket-policy:ImmWritesOutputs']],
  ])('a bucket policy without %s breaks that grant (and what proves it live), and passes once it is back', async (sid, names) => {
    // Prepare
    const full = policies().bucketPolicy;
    await partner.putBucketPolicy(stack.info.bucket, { ...full, Statement: full.Statement.filter((s) => s.Sid !== sid) } as unknown as Parameters<OSS['putBucketPolicy']>[1]);
    // Act
    const broken = await doctor(stack);
    await partner.putBucketPolicy(stack.info.bucket, full as unknown as Parameters<OSS['putBucketPolicy']>[1]);
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, names, new RegExp(`"Sid":"${sid}"`));
    expect(fixed.code).toBe(0);
  });

  it('a trust policy without the data account breaks AssumeRole only, and passes once it is back', async () => {
    // Prepare
    const trust = policies().operatorTrustPolicy;
    stack.ram.setTrustPolicy(stack.info.roleArn, {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::3000000000000003:root'] }, Condition: { StringEquals: { 'sts:ExternalId': stack.deploy.externalId } } }],
    });
    // Act
    const broken = await doctor(stack);
    stack.ram.setTrustPolicy(stack.info.roleArn, trust);
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, ['health:assume-role'], /trust policy/);
    expect(broken.links.filter((l) => l.status === 'unchecked').map((l) => l.name)).toEqual(['topic-subscription', 'health:imm-project', 'health:imm-reads-input']);
    expect(fixed.code).toBe(0);
  });

  it('a wrong ExternalId breaks AssumeRole only, and passes once redeployed with the right one', async () => {
    // Prepare
    stack.redeploy({ IMM_ROLE_EXTERNAL_ID: 'x-wrong-external-id' });
    // Act
    const broken = await doctor(stack);
    stack.redeploy();
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, ['health:assume-role'], /ExternalId/);
    expect(fixed.code).toBe(0);
  });

  it('an ExternalId the function refuses to start with breaks the health link, naming the setting', async () => {
    // Prepare
    stack.redeploy({ IMM_ROLE_EXTERNAL_ID: 'x' });
    // Act
    const broken = await doctor(stack);
    stack.redeploy();
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, ['health'], /s\.yaml/);
    expect(broken.links.find((l) => l.name === 'health')?.detail).toContain('IMM_ROLE_EXTERNAL_ID');
    expect(fixed.code).toBe(0);
  });

  it('a function role without sts:AssumeRole breaks AssumeRole only, and passes once the grant is back', async () => {
    // Prepare
    const full = policies().functionRolePolicy;
    stack.ram.setRolePolicies(functionRoleArn(), [{ ...full, Statement: full.Statement.filter((s) => s.Sid !== 'AssumeOperatorRole') }]);
    // Act
    const broken = await doctor(stack);
    stack.ram.setRolePolicies(functionRoleArn(), [full]);
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, ['health:assume-role'], /sts:AssumeRole/);
    expect(fixed.code).toBe(0);
  });

  it('a function role without the probe grant breaks the probe write only, and passes once it is back', async () => {
    // Prepare
    const full = policies().functionRolePolicy;
    stack.ram.setRolePolicies(functionRoleArn(), [{ ...full, Statement: full.Statement.filter((s) => s.Sid !== 'HealthProbe') }]);
    // Act
    const broken = await doctor(stack);
    stack.ram.setRolePolicies(functionRoleArn(), [full]);
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, ['health:probe-write'], /oss:PutObject/);
    expect(fixed.code).toBe(0);
  });

  it('an IMM project that does not exist (IMM_PROJECT names another) breaks the project link only', async () => {
    // Prepare
    stack.redeploy({ IMM_PROJECT: 'no-such-project' });
    // Act
    const broken = await doctor(stack);
    stack.redeploy();
    const fixed = await doctor(stack);
    // Assess
    expectBroken(broken, ['health:imm-project'], /project/i);
    expect(fixed.code).toBe(0);
  });

  it('prints ✗ and the fix as text', async () => {
    // Prepare
    stack.redeploy({ IMM_ROLE_EXTERNAL_ID: 'x-wrong-external-id' });
    // Act
    const run = await doctor(stack, []);
    stack.redeploy();
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ health:assume-role +AssumeRoleDenied/m);
    expect(run.stdout).toMatch(/^ +fix: .*ExternalId/m);
  });

  // Last: versioning cannot be turned off again, only suspended, which still is no never-versioned bucket.
  it('versioning enabled breaks the versioning link only', async () => {
    // Prepare
    await (partner as unknown as { putBucketVersioning(b: string, s: string): Promise<unknown> }).putBucketVersioning(stack.info.bucket, 'Enabled');
    // Act
    const run = await doctor(stack);
    // Assess
    expectBroken(run, ['bucket-versioning'], /never versioned/);
  });
});

describe('doctor --local, an OSS trigger prefix that differs from INPUT_PREFIX', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ sYamlText: sYamlWith({ 'resources.on-upload.props.triggers.0.triggerConfig.filter.key.prefix': 'uploads/' }) });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('breaks the triggers link of on-upload only', async () => {
    // Act
    const run = await doctor(stack);
    // Assess
    expectBroken(run, ['triggers:on-upload'], /INPUT_PREFIX/);
    expect(run.links.find((l) => l.name === 'triggers:on-upload')?.detail).toContain('`uploads/` is not INPUT_PREFIX `incoming/`');
  });
});

describe('doctor usage', () => {
  it('exits 2 on an unknown option and on a missing stack.json', async () => {
    // Prepare
    const io = () => {
      const out = { stdout: '', stderr: '' };
      return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t), cwd: ROOT } };
    };
    const a = io();
    const b = io();
    // Act
    const unknown = await runDoctor(['--nope'], a.io, {});
    const noStack = await runDoctor(['--local'], b.io, { LOCAL_DIR: path.join(tmpdir(), 'no-such-doctor-dir') });
    // Assess
    expect(unknown).toBe(2);
    expect(a.out.stderr).toMatch(/unknown option `--nope`/);
    expect(noStack).toBe(2);
    expect(b.out.stderr).toMatch(/stack\.json/);
  });
});
