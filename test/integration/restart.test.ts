// Restart the local stack in the middle of a batch: events OSS accepted are queued durably, as FC's async
// queue is, and claims of the attempts that died expire at their deadline; nothing is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sceneJpeg } from '../helpers/images';
import { partnerClient, readSidecar, startTestStack, sYamlWith } from '../helpers/stack';

describe('restart mid-batch (local stack)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('delivers every accepted upload after a crash and restart', async () => {
    // Prepare
    const options = { dataDir, sYamlText: sYamlWith({ 'resources.on-upload.props.timeout': 2 }), retryDelaysMs: [500, 1000, 2000] };
    const first = await startTestStack(options);
    const image = await sceneJpeg(160, 120, 12);
    const keys = Array.from({ length: 40 }, (_, i) => `incoming/restart/${i}.jpg`);
    // Act
    await Promise.all(keys.map((key) => partnerClient(first.info).put(key, image)));
    await first.crash();
    const second = await startTestStack(options);
    await second.settled();
    const sidecars = await Promise.all(keys.map((key) => readSidecar(partnerClient(second.info), key)));
    await second.dispose();
    // Assess
    expect(sidecars.map((s) => s.status)).toEqual(keys.map(() => 'succeeded'));
  });
});
