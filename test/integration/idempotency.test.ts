// At-least-once delivery: the local FC runner delivers every OSS event twice, and MNS pushes every task
// notification to the api twice, concurrently; each
// object version still costs exactly one IMM call or task, and an overwrite is processed again.
import { PDFDocument } from 'pdf-lib';
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
    expect(after.invocations[stack.functionName('on-upload')]).toBeGreaterThanOrEqual(40);
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

  it('creates one task per document, and every sidecar ends succeeded, when uploads and notifications arrive twice', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    const doc = await PDFDocument.create();
    doc.addPage([200, 100]);
    const pdf = Buffer.from(await doc.save());
    const before = await stats(stack.info);
    const keys = Array.from({ length: 5 }, (_, i) => `incoming/dup/docs/${i}.pdf`);
    // Act
    await Promise.all(keys.map((key) => partner.put(key, pdf)));
    await stack.quiescent();
    const after = await stats(stack.info);
    const sidecars = await Promise.all(keys.map((key) => readSidecar(partner, key)));
    const delta = (name: string, from: Record<string, number>, to: Record<string, number>) => (to[name] ?? 0) - (from[name] ?? 0);
    // Assess
    expect(delta('imm:CreateOfficeConversionTask', before.calls, after.calls)).toBe(5);
    // At least two pushes per task (each notification twice); one that overtook its sidecar is pushed again.
    expect(delta('mns:Push', before.calls, after.calls)).toBeGreaterThanOrEqual(10);
    expect(delta('on-task-done', before.invocations, after.invocations)).toBe(0);
    expect(sidecars.map((s) => s.status)).toEqual(keys.map(() => 'succeeded'));
  });
});
