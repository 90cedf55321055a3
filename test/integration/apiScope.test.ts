// Issue 11 on the local stack: the api serves only keys under its prefixes (INPUT_PREFIX, or API_PREFIXES) and
// refuses the rest with 403 before any STS or IMM call, even when the bucket policy lets IMM read the whole bucket;
// editable previews need PREVIEW_ALLOW_EDIT=on; uploads whose keys have dot or empty segments, or a NUL, are
// skipped (`InvalidKey`) or dropped with a log line, and never retried.
import type OSS from 'ali-oss';
import { callApi, partnerClient, readSidecar, startTestStack, stats, type TestStack } from '../helpers/stack';
import type { StackInfo } from '../../local/stack';

/** sts:* and imm:* calls so far: what the operator role's credentials and IMM cost. */
async function cloudCalls(info: StackInfo): Promise<number> {
  const { calls } = await stats(info);
  return Object.entries(calls)
    .filter(([name]) => /^(sts|imm):/.test(name))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Lets IMM's service role read every object of the bucket, a common setup the api must not rely on. */
async function grantImmTheWholeBucket(partner: OSS, bucket: string): Promise<void> {
  const { policy } = await partner.getBucketPolicy(bucket);
  const reads = (policy?.Statement as { Sid?: string; Resource: string[] }[] | undefined)?.find((s) => s.Sid === 'ImmReadsInputs');
  if (!policy || !reads) throw new Error('the seeded bucket policy has no ImmReadsInputs statement');
  reads.Resource = reads.Resource.map((r) => r.replace(/\/incoming\/\*$/, '/*'));
  await partner.putBucketPolicy(bucket, policy);
}

const SECRET = 'the secret document text';

const outsideRoutes: [string, (bucket: string) => Record<string, unknown>][] = [
  ['/images/score', (bucket) => ({ uri: `oss://${bucket}/private/photo.jpg` })],
  ['/media/convert', (bucket) => ({ uri: `oss://${bucket}/private/clip.mov` })],
  ['/documents/convert', (bucket) => ({ uri: `oss://${bucket}/private/secret.txt`, targetType: 'txt' })],
  ['/documents/preview', (bucket) => ({ uri: `oss://${bucket}/private/secret.txt` })],
];

describe('api scope (local stack, default settings)', () => {
  let stack: TestStack;
  let partner: OSS;

  beforeAll(async () => {
    stack = await startTestStack();
    partner = partnerClient(stack.info, true);
    for (const key of ['private/photo.jpg', 'private/clip.mov', 'private/secret.txt']) await partner.put(key, Buffer.from(SECRET));
    await partner.put('incoming/scope/notes.txt', Buffer.from('notes'));
    await stack.settled();
    // FC assumes each function's own role on its first invocation: done here, so that it is not counted below.
    await callApi(stack.info, 'GET', '/healthz');
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  describe.each([
    ['the generated bucket policy', false],
    ['a bucket-wide IMM read grant', true],
  ])('under %s', (_name, wide) => {
    beforeAll(async () => {
      if (wide) await grantImmTheWholeBucket(partner, stack.info.bucket);
    });

    it.each(outsideRoutes)('POST %s on a key outside INPUT_PREFIX answers 403 with a hint, and makes no STS or IMM call', async (route, body) => {
      // Prepare
      const before = await cloudCalls(stack.info);
      // Act
      const response = await callApi(stack.info, 'POST', route, body(stack.info.bucket));
      // Assess
      expect(response.status).toBe(403);
      expect(response.body.error).toMatchObject({ code: 'KeyNotAllowed', message: expect.stringContaining('`incoming/`'), hint: expect.stringContaining('API_PREFIXES') });
      expect(await cloudCalls(stack.info)).toBe(before);
    });
  });

  it('writes nothing of a refused document under OUTPUT_PREFIX', async () => {
    // Prepare
    await callApi(stack.info, 'POST', '/documents/convert', { uri: `oss://${stack.info.bucket}/private/secret.txt`, targetType: 'txt' });
    await stack.settled();
    // Act
    const listed = await partner.listV2({ prefix: 'converted/private/', 'max-keys': '10' }, {});
    // Assess
    expect(listed.objects ?? []).toEqual([]);
  });

  it('refuses `readonly: false` with 403 and a hint, before any STS or IMM call', async () => {
    // Prepare
    const before = await cloudCalls(stack.info);
    // Act
    const response = await callApi(stack.info, 'POST', '/documents/preview', { uri: `oss://${stack.info.bucket}/incoming/scope/notes.txt`, readonly: false });
    // Assess
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: 'PreviewEditNotAllowed', hint: expect.stringContaining('PREVIEW_ALLOW_EDIT=on') });
    expect(await cloudCalls(stack.info)).toBe(before);
  });

  describe('keys with dot or empty segments, or a NUL', () => {
    const record = (key: string) => ({
      eventName: 'ObjectCreated:PutObject',
      eventSource: 'acs:oss',
      region: stack.info.region,
      oss: { bucket: { name: stack.info.bucket }, object: { key, eTag: '0CC175B9C0F1B6A831C399E269772661', size: 1 } },
    });
    /** What OSS would deliver for a key no URL-normalising client can upload: the event, straight into FC's queue. */
    const deliver = (key: string, label: string) => stack.runner.deliverAsync(stack.functionName('on-upload'), JSON.stringify({ events: [record(key)] }), label);
    const deliveriesOf = (label: string) => stack.runner.deliveries.filter((d) => d.key === label);

    it('skips an uploaded key with an empty segment: an InvalidKey sidecar next to it, no IMM call, one attempt', async () => {
      // Prepare
      const before = await cloudCalls(stack.info);
      // Act: ali-oss keeps `//` in the URL, so this is a real upload and a real trigger.
      await partner.put('incoming/dots//a.jpg', Buffer.from('jpeg?'));
      await stack.settled();
      const sidecar = await readSidecar(partner, 'incoming/dots//a.jpg');
      // Assess
      expect(sidecar).toMatchObject({ status: 'skipped', operation: 'none', reasonCode: 'InvalidKey', reason: expect.stringContaining('empty path segment'), source: `oss://${stack.info.bucket}/incoming/dots//a.jpg` });
      expect(deliveriesOf('incoming/dots//a.jpg')).toEqual([expect.objectContaining({ attempts: 1, ok: true })]);
      expect(await cloudCalls(stack.info)).toBe(before);
    });

    it.each([
      ['a final `..` segment', 'incoming/dots/x/..', 'results/incoming/dots/x/...json'],
      ['a final `.` segment', 'incoming/dots/y/.', 'results/incoming/dots/y/..json'],
    ])('skips %s with an InvalidKey sidecar, whose own key has no dot segment', async (_name, key, sidecarKey) => {
      // Act
      deliver(key, key);
      await stack.settled();
      const sidecar = JSON.parse((await partner.get(sidecarKey)).content.toString('utf8'));
      // Assess
      expect(sidecar).toMatchObject({ status: 'skipped', reasonCode: 'InvalidKey', source: `oss://${stack.info.bucket}/${key}` });
      expect(deliveriesOf(key)).toEqual([expect.objectContaining({ attempts: 1, ok: true })]);
    });

    it.each([
      ['a `..` segment', 'incoming/dots/x/../a.jpg'],
      ['a `.` segment', 'incoming/./dots/b.jpg'],
      ['a way out of the prefix', 'incoming/../results/incoming/dots/c.jpg'],
      ['a NUL', 'incoming/dots/d\u0000.jpg'],
    ])('drops %s with a log line, writes nothing, and never retries', async (_name, key) => {
      // Prepare
      const before = await cloudCalls(stack.info);
      const listBefore = await partner.listV2({ prefix: 'results/', 'max-keys': '1000' }, {});
      const label = `dropped:${JSON.stringify(key)}`;
      // Act
      deliver(key, label);
      await stack.settled();
      // Assess
      expect(deliveriesOf(label)).toEqual([expect.objectContaining({ attempts: 1, ok: true })]);
      const drop = stack.logLines.map((l) => JSON.parse(l)).find((l) => l.key === key && /dropped without a sidecar/.test(l.msg));
      expect(drop).toMatchObject({ level: 'warn', problem: expect.any(String) });
      const listAfter = await partner.listV2({ prefix: 'results/', 'max-keys': '1000' }, {});
      expect((listAfter.objects ?? []).map((o) => o.name)).toEqual((listBefore.objects ?? []).map((o) => o.name));
      expect(await cloudCalls(stack.info)).toBe(before);
    });
  });
});

describe('api scope (local stack, PREVIEW_ALLOW_EDIT=on and API_PREFIXES=incoming/,shared/)', () => {
  let stack: TestStack;
  let partner: OSS;

  beforeAll(async () => {
    stack = await startTestStack({ functionEnv: { PREVIEW_ALLOW_EDIT: 'on', API_PREFIXES: 'incoming/,shared/' } });
    partner = partnerClient(stack.info, true);
    await grantImmTheWholeBucket(partner, stack.info.bucket);
    await partner.put('incoming/scope/notes.txt', Buffer.from('notes'));
    await partner.put('incoming/scope/report.pdf', Buffer.from('%PDF-1.4\n%%EOF\n'));
    await partner.put('shared/handbook.txt', Buffer.from('handbook'));
    await partner.put('private/secret.txt', Buffer.from(SECRET));
    await stack.settled();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const preview = (key: string, extra: Record<string, unknown> = {}) => callApi(stack.info, 'POST', '/documents/preview', { uri: `oss://${stack.info.bucket}/${key}`, ...extra });

  it('grants an editable preview, and logs it with the key and without the tokens', async () => {
    // Act
    const response = await preview('incoming/scope/notes.txt', { readonly: false });
    // Assess
    expect(response.status).toBe(200);
    const granted = stack.logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'editable preview granted');
    expect(granted).toEqual([expect.objectContaining({ level: 'info', bucket: stack.info.bucket, key: 'incoming/scope/notes.txt' })]);
    const { accessToken, refreshToken } = response.body;
    expect(stack.logLines.filter((l) => l.includes(accessToken) || l.includes(refreshToken))).toEqual([]);
  });

  it('still leaves IMM its own rule: a PDF is never editable', async () => {
    // Act
    const response = await preview('incoming/scope/report.pdf', { readonly: false });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('ImmRejected');
  });

  it('serves a key under another API prefix, and still refuses one outside every prefix under the bucket-wide grant', async () => {
    // Act
    const shared = await preview('shared/handbook.txt');
    const before = await cloudCalls(stack.info);
    const secret = await preview('private/secret.txt');
    // Assess
    expect(shared.status).toBe(200);
    expect(secret.status).toBe(403);
    expect(secret.body.error).toMatchObject({ code: 'KeyNotAllowed', message: expect.stringContaining('`incoming/`, `shared/`') });
    expect(await cloudCalls(stack.info)).toBe(before);
  });
});
