// The walking skeleton, end to end on the local stack: every hop over HTTP through the real SDKs
// (ali-oss, @alicloud/sts20150401, @alicloud/openapi-core), signatures verified, policies enforced.
import { sceneJpeg, blurred } from '../helpers/images';
import { callApi, partnerClient, readSidecar, startTestStack, stats, type TestStack } from '../helpers/stack';

describe('upload → STS → IMM → sidecar (local stack)', () => {
  let stack: TestStack;
  let original: Buffer;

  beforeAll(async () => {
    stack = await startTestStack();
    original = await sceneJpeg();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  afterAll(() => {
    // Every log line the functions wrote during this suite: no secret, token or credential may appear.
    const secrets = [...stack.ram.issuedSecrets(), stack.info.apiToken, stack.info.adminKey];
    const leaks = stack.logLines.filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(stack.logLines.length).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
  });

  it('scores an uploaded JPEG, and a blurred copy lower (partner signs with V1, the function with V4)', async () => {
    // Prepare
    const partner = partnerClient(stack.info);
    // Act
    await partner.put('incoming/photos/original.jpg', original);
    await partner.put('incoming/photos/blurred.jpg', await blurred(original));
    await stack.settled();
    const sharp = await readSidecar(partner, 'incoming/photos/original.jpg');
    const soft = await readSidecar(partner, 'incoming/photos/blurred.jpg');
    // Assess
    expect(sharp).toMatchObject({ source: `oss://${stack.info.bucket}/incoming/photos/original.jpg`, operation: 'DetectImageScore', status: 'succeeded' });
    expect(sharp.score).toBeGreaterThanOrEqual(0);
    expect(sharp.score).toBeLessThanOrEqual(1);
    expect(soft.status).toBe('succeeded');
    expect(soft.score).toBeLessThan(sharp.score);
    expect(Date.parse(sharp.processedAt)).not.toBeNaN();
  });

  it.each(['incoming/ünï cödé/a b+c%20d 中文.jpg', 'incoming/100% + more/x.jpeg'])('handles the key %p end to end (Unicode, spaces, + and %%)', async (key) => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    // Act
    await partner.put(key, original);
    await stack.settled();
    const sidecar = await readSidecar(partner, key);
    const api = await callApi(stack.info, 'POST', '/images/score', { uri: `oss://${stack.info.bucket}/${key}` });
    // Assess
    expect(sidecar).toMatchObject({ source: `oss://${stack.info.bucket}/${key}`, status: 'succeeded' });
    expect(api.status).toBe(200);
    expect(api.body.score).toBe(sidecar.score);
  });

  it('writes a skipped sidecar for a type with no IMM operation, and never processes its own results', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const before = (await stats(stack.info)).invocations[stack.functionName('on-upload')] ?? 0;
    // Act
    await partner.put('incoming/notes.bin', Buffer.from('hello'));
    await stack.settled();
    const sidecar = await readSidecar(partner, 'incoming/notes.bin');
    const after = (await stats(stack.info)).invocations[stack.functionName('on-upload')] ?? 0;
    // Assess
    expect(sidecar).toMatchObject({ status: 'skipped', reason: expect.stringContaining('.bin') });
    // One invocation for the upload; the sidecar under results/ triggers nothing.
    expect(after - before).toBe(1);
  });

  it('fails with a hint naming the missing grant when the bucket policy is deleted, and recovers when it is restored', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const policy = (await partner.getBucketPolicy(stack.info.bucket)).policy;
    expect(policy).not.toBeNull();
    // Act
    await partner.deleteBucketPolicy(stack.info.bucket);
    await partner.put('incoming/denied.jpg', original);
    await stack.settled();
    const denied = await readSidecar(partner, 'incoming/denied.jpg');
    await partner.putBucketPolicy(stack.info.bucket, policy!);
    // The same bytes again: same eTag, so this also proves a failure does not block a retry of that version.
    await partner.put('incoming/denied.jpg', original);
    await stack.settled();
    const restored = await readSidecar(partner, 'incoming/denied.jpg');
    // Assess
    expect(denied.status).toBe('failed');
    expect(denied.error.code).toBe('BucketDeniedImm');
    expect(denied.error.message).toMatch(/denied IMM's service role/);
    expect(denied.error.hint).toContain('AliyunIMMDefaultRole');
    expect(denied.error.hint).toContain('oss:GetObject');
    expect(restored.status).toBe('succeeded');
  });

  describe('HTTP API', () => {
    it('returns 200 with the score', async () => {
      // Prepare
      await partnerClient(stack.info).put('incoming/api.jpg', original);
      // Act
      const response = await callApi(stack.info, 'POST', '/images/score', { uri: `oss://${stack.info.bucket}/incoming/api.jpg` });
      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ uri: `oss://${stack.info.bucket}/incoming/api.jpg`, score: expect.any(Number) });
    });

    it.each([
      ['no token', { uri: 'oss://test-bucket-2024/incoming/api.jpg' }, null, 401, 'Unauthorized'],
      ['a foreign bucket', { uri: 'oss://someone-elses-bucket/incoming/a.jpg' }, undefined, 403, 'BucketNotAllowed'],
      ['oss://', { uri: 'oss://' }, undefined, 400, 'InvalidUri'],
      ['oss://b/../x', { uri: 'oss://b/../x' }, undefined, 400, 'InvalidUri'],
      ['an empty key', { uri: 'oss://test-bucket-2024/' }, undefined, 400, 'InvalidUri'],
      ['a non-oss scheme', { uri: 'http://test-bucket-2024/a.jpg' }, undefined, 400, 'InvalidUri'],
      ['a key over 1,023 bytes', { uri: `oss://test-bucket-2024/${'x'.repeat(1024)}` }, undefined, 400, 'InvalidUri'],
      ['a missing object', { uri: 'oss://test-bucket-2024/incoming/nothing-here.jpg' }, undefined, 404, 'ObjectNotFound'],
    ])('answers %s with its status and a JSON error', async (_name, body, token, status, code) => {
      // Act
      const response = await callApi(stack.info, 'POST', '/images/score', body, token === null ? null : stack.info.apiToken);
      // Assess
      expect(response.status).toBe(status);
      expect(response.body.error).toMatchObject({ code, message: expect.any(String) });
    });
  });

  it('makes exactly one AssumeRole call for 100 concurrent events in one warm container', async () => {
    // Prepare
    stack.redeploy();
    const partner = partnerClient(stack.info);
    const small = await sceneJpeg(160, 120, 5);
    const before = (await stats(stack.info)).calls['sts:AssumeRole'] ?? 0;
    // Act
    await Promise.all(Array.from({ length: 100 }, (_, i) => partner.put(`incoming/burst/${i}.jpg`, small)));
    await stack.settled();
    const after = (await stats(stack.info)).calls['sts:AssumeRole'] ?? 0;
    const sidecars = await Promise.all(Array.from({ length: 100 }, (_, i) => readSidecar(partner, `incoming/burst/${i}.jpg`)));
    // Assess
    expect(after - before).toBe(1);
    expect(sidecars.every((s) => s.status === 'succeeded')).toBe(true);
  });
});

describe('AssumeRole failures (local stack)', () => {
  let stack: TestStack;
  let image: Buffer;

  beforeAll(async () => {
    stack = await startTestStack();
    image = await sceneJpeg(320, 240, 2);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('a wrong ExternalId gives a clear AssumeRole error with a hint, in the sidecar and as HTTP 403', async () => {
    // Prepare
    stack.redeploy({ IMM_ROLE_EXTERNAL_ID: 'not-the-agreed-id' });
    const partner = partnerClient(stack.info);
    // Act
    await partner.put('incoming/ext.jpg', image);
    await stack.settled();
    const sidecar = await readSidecar(partner, 'incoming/ext.jpg');
    const response = await callApi(stack.info, 'POST', '/images/score', { uri: `oss://${stack.info.bucket}/incoming/ext.jpg` });
    // Assess
    expect(sidecar.status).toBe('failed');
    expect(sidecar.error).toMatchObject({ code: 'AssumeRoleDenied', message: expect.stringContaining('sts:AssumeRole'), hint: expect.stringContaining('ExternalId') });
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: 'AssumeRoleDenied', hint: expect.stringContaining('IMM_ROLE_EXTERNAL_ID') });
  });

  it('a trust policy without the data account gives a clear AssumeRole error with a hint, in the sidecar and as HTTP 403', async () => {
    // Prepare
    stack.ram.setTrustPolicy(stack.info.roleArn, {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::3000000000000003:root'] }, Condition: { StringEquals: { 'sts:ExternalId': stack.deploy.externalId } } }],
    });
    stack.redeploy();
    const partner = partnerClient(stack.info);
    // Act
    await partner.put('incoming/trust.jpg', image);
    await stack.settled();
    const sidecar = await readSidecar(partner, 'incoming/trust.jpg');
    const response = await callApi(stack.info, 'POST', '/images/score', { uri: `oss://${stack.info.bucket}/incoming/trust.jpg` });
    // Assess
    expect(sidecar.status).toBe('failed');
    expect(sidecar.error).toMatchObject({ code: 'AssumeRoleDenied', hint: expect.stringContaining('trust policy') });
    expect(sidecar.error.hint).toContain('Principal.RAM');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('AssumeRoleDenied');
  });
});
