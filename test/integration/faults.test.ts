// Clouds throttle and fail. With 20% injected 503s on STS and IMM plus 50 ms latency, 200 uploads still
// end as 200 `succeeded` sidecars, with exactly one successful IMM call per object; documents whose task
// creation and completion checks (GetTask) fail half the time still all end `succeeded`, each converted once.
import { PDFDocument } from 'pdf-lib';
import { sceneJpeg } from '../helpers/images';
import { partnerClient, readSidecar, setFaults, startTestStack, stats, type TestStack } from '../helpers/stack';

describe('injected faults (local stack)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ retryDelaysMs: [20, 40, 80] });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('loses no upload and processes none twice under 20% transient faults', async () => {
    // Prepare
    await setFaults(stack.info, [
      { service: 'sts', action: 'AssumeRole', rate: 0.2, status: 503, code: 'ServiceUnavailable', latencyMs: 50 },
      { service: 'imm', action: 'DetectImageScore', rate: 0.2, status: 503, code: 'ServiceUnavailable', latencyMs: 50 },
    ]);
    const partner = partnerClient(stack.info, true);
    const image = await sceneJpeg(120, 90, 11);
    const keys = Array.from({ length: 200 }, (_, i) => `incoming/faults/${i}.jpg`);
    // Act
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => partner.put(key, image)));
    await stack.settled();
    await setFaults(stack.info, []);
    const after = await stats(stack.info);
    const sidecars = await Promise.all(keys.map((key) => readSidecar(partner, key)));
    // Assess
    expect(sidecars.filter((s) => s.status === 'succeeded')).toHaveLength(200);
    expect(after.succeeded['imm:DetectImageScore']).toBe(200);
    // The faults really happened: more attempts than successes.
    expect(after.calls['imm:DetectImageScore']).toBeGreaterThan(200);
  });

  it('loses no task result under 50% transient faults on task creation and on GetTask', async () => {
    // Prepare
    await setFaults(stack.info, [
      { service: 'imm', action: 'CreateOfficeConversionTask', rate: 0.5, status: 503, code: 'ServiceUnavailable', latencyMs: 20 },
      { service: 'imm', action: 'GetTask', rate: 0.5, status: 503, code: 'ServiceUnavailable', latencyMs: 20 },
    ]);
    const partner = partnerClient(stack.info, true);
    const doc = await PDFDocument.create();
    doc.addPage([200, 100]);
    const pdf = Buffer.from(await doc.save());
    const keys = Array.from({ length: 12 }, (_, i) => `incoming/faults/docs/${i}.pdf`);
    // Act
    await Promise.all(keys.map((key) => partner.put(key, pdf)));
    await stack.quiescent();
    await setFaults(stack.info, []);
    const after = await stats(stack.info);
    const sidecars = await Promise.all(keys.map((key) => readSidecar(partner, key)));
    // Assess
    expect(sidecars.map((s) => s.status)).toEqual(keys.map(() => 'succeeded'));
    expect(after.succeeded['imm:CreateOfficeConversionTask']).toBe(12);
    expect(after.calls['imm:GetTask']).toBeGreaterThan(after.succeeded['imm:GetTask'] ?? 0);
  });
});
