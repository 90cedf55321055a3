// End to end on the local stack: a partner who turns on versioning gets a `failed` sidecar that says why, not
// a second IMM call for a duplicate delivery. Its own stack, since a bucket can never go back to unversioned.
import type OSS from 'ali-oss';
import { sceneJpeg } from '../helpers/images';
import { versioningCalls } from '../helpers/oss';
import { partnerClient, readSidecar, startTestStack, stats, type TestStack } from '../helpers/stack';

describe('upload to a versioned bucket (local stack)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('writes a failed sidecar with BucketVersioningUnsupported and its hint, calls no IMM and is not retried', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const enabled = await versioningCalls(partner).putBucketVersioning(stack.info.bucket, 'Enabled');
    expect(enabled.status).toBe(200);
    const before = await stats(stack.info);

    // Act
    await partner.put('incoming/versioned/photo.jpg', await sceneJpeg());
    await stack.settled();
    const sidecar = await readSidecar(partner, 'incoming/versioned/photo.jpg');
    const after = await stats(stack.info);

    // Assess
    expect(sidecar).toMatchObject({
      source: `oss://${stack.info.bucket}/incoming/versioned/photo.jpg`,
      operation: 'DetectImageScore',
      status: 'failed',
      error: { code: 'BucketVersioningUnsupported', message: expect.stringContaining('versioning Enabled'), hint: expect.stringContaining('versioning was never enabled') },
    });
    const delta = (name: string, of: 'calls' | 'invocations') => (after[of][name] ?? 0) - (before[of][name] ?? 0);
    expect(delta('imm:DetectImageScore', 'calls')).toBe(0);
    expect(delta('sts:AssumeRole', 'calls')).toBe(0);
    expect(delta('oss:GetBucketVersioning', 'calls')).toBe(1);
    // Not retryable: FC invokes once and does not re-deliver.
    expect(delta(stack.functionName('on-upload'), 'invocations')).toBe(1);
  });
});

describe('upload when the function role may not read the versioning state (local stack)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('writes a failed sidecar whose hint names the oss:GetBucketVersioning grant, and calls no IMM', async () => {
    // Prepare: the partner's bucket policy denies the read to everyone, on top of the statements IMM needs.
    const partner = partnerClient(stack.info, true);
    const policy = (await partner.getBucketPolicy(stack.info.bucket)).policy as unknown as { Statement: unknown[] };
    policy.Statement.push({ Effect: 'Deny', Principal: ['*'], Action: ['oss:GetBucketVersioning'], Resource: [`acs:oss:*:*:${stack.info.bucket}`] });
    await partner.putBucketPolicy(stack.info.bucket, policy as unknown as OSS.BucketPolicy);
    const before = await stats(stack.info);

    // Act
    await partner.put('incoming/denied-versioning.jpg', await sceneJpeg());
    await stack.settled();
    const sidecar = await readSidecar(partner, 'incoming/denied-versioning.jpg');
    const after = await stats(stack.info);

    // Assess
    expect(sidecar).toMatchObject({ status: 'failed', error: { code: 'OssAccessDenied', hint: expect.stringContaining('oss:GetBucketVersioning') } });
    expect((after.calls['imm:DetectImageScore'] ?? 0) - (before.calls['imm:DetectImageScore'] ?? 0)).toBe(0);
    expect((after.invocations[stack.functionName('on-upload')] ?? 0) - (before.invocations[stack.functionName('on-upload')] ?? 0)).toBe(1);
  });
});
