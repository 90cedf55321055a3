// At-least-once delivery: the local FC runner delivers every event twice, concurrently; each object
// version still costs exactly one IMM call, and an overwrite is processed again.
import { sceneJpeg } from '../helpers/images';
import { partnerClient, readSidecar, startTestStack, stats, type TestStack } from '../helpers/stack';

describe('duplicate OSS deliveries (local stack)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ deliveryCopies: 2 });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('makes exactly one IMM call per object when every event arrives twice', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const image = await sceneJpeg(160, 120, 7);
    const before = (await stats(stack.info)).calls['imm:DetectImageScore'] ?? 0;
    // Act
    await Promise.all(Array.from({ length: 20 }, (_, i) => partner.put(`incoming/dup/${i}.jpg`, image)));
    await stack.settled();
    const after = await stats(stack.info);
    const sidecars = await Promise.all(Array.from({ length: 20 }, (_, i) => readSidecar(partner, `incoming/dup/${i}.jpg`)));
    // Assess
    expect(after.invocations['on-upload']).toBeGreaterThanOrEqual(40);
    expect(after.calls['imm:DetectImageScore'] - before).toBe(20);
    expect(sidecars.every((s) => s.status === 'succeeded')).toBe(true);
  });

  it('processes an overwritten object again', async () => {
    // Prepare
    const partner = partnerClient(stack.info);
    await partner.put('incoming/again.jpg', await sceneJpeg(160, 120, 8));
    await stack.settled();
    const first = await readSidecar(partner, 'incoming/again.jpg');
    const before = (await stats(stack.info)).calls['imm:DetectImageScore'];
    // Act
    await partner.put('incoming/again.jpg', await sceneJpeg(160, 120, 9));
    await stack.settled();
    const second = await readSidecar(partner, 'incoming/again.jpg');
    const after = (await stats(stack.info)).calls['imm:DetectImageScore'];
    // Assess
    expect(after - before).toBe(1);
    expect(second.eTag).not.toBe(first.eTag);
  });
});
