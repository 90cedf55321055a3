// The local IMM streams what it reads: ten concurrent WebOffice previews of a 50 MiB PDF — POST /documents/preview
// through the api function (GenerateWebofficeToken opens the object as IMM's service role), then the content
// URL the viewer page loads (the PDF read from OSS at view time) — keep the process's RSS within 128 MiB of
// where it started. The whole stack runs in this process, so RSS is sampled here, every 20 ms. Before streaming,
// each preview held the object twice and ten of them took RSS to 1.49 GB (issue 11). The bar holds for the
// stack as a whole: the OSS emulator must stream GetObject from disk too, not only the IMM read it as a stream.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { callApi, partnerClient, startTestStack, type TestStack } from '../helpers/stack';

const MiB = 1024 * 1024;
const OBJECT_BYTES = 50 * MiB;
const PREVIEWS = 10;
const RSS_GROWTH_LIMIT = 128 * MiB;

/** A 50 MiB "PDF" written to disk a MiB at a time: the viewer serves PDFs as they are, so only the size matters. */
async function bigPdf(file: string): Promise<void> {
  const out = createWriteStream(file);
  const header = Buffer.from('%PDF-1.4\n% imm-bridge memory test\n');
  const filler = Buffer.alloc(MiB, 0x20);
  const chunks = [header, filler.subarray(header.length), ...Array<Buffer>(OBJECT_BYTES / MiB - 1).fill(filler)];
  for (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Samples RSS every 20 ms until stopped; `peak` is the largest sample. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** Reads a response body to its end, counting bytes without keeping them. */
async function drain(response: Response): Promise<number> {
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

describe('local IMM memory', () => {
  let stack: TestStack;
  let dir: string;
  let uri: string;

  beforeAll(async () => {
    stack = await startTestStack();
    dir = await mkdtemp(path.join(tmpdir(), 'imm-memory-'));
    const file = path.join(dir, 'big.pdf');
    await bigPdf(file);
    const key = 'incoming/memory/big.pdf';
    // From the file: ali-oss streams a path.
    await partnerClient(stack.info).put(key, file);
    // The upload's own conversion task (page 1 of a PDF that is not one) runs and fails before the test starts.
    await stack.quiescent();
    uri = `oss://${stack.info.bucket}/${key}`;
  }, 120_000);

  afterAll(async () => {
    await stack?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves ten concurrent previews of a 50 MiB PDF within 128 MiB of RSS growth', async () => {
    // Prepare: let the upload's garbage go before the baseline is taken.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const baseline = process.memoryUsage().rss;
    const sampler = sampleRss();

    // Act
    const results = await Promise.all(
      Array.from({ length: PREVIEWS }, async () => {
        const preview = await callApi(stack.info, 'POST', '/documents/preview', { uri });
        const { url, accessToken } = preview.body as { url: string; accessToken: string };
        const content = await fetch(`${url.replace('?_w_tokentype=1', '/content')}?access_token=${accessToken}`);
        return { preview: preview.status, status: content.status, length: content.headers.get('content-length'), bytes: await drain(content) };
      }),
    );
    const peak = sampler.stop();

    // Assess
    expect(results).toEqual(Array(PREVIEWS).fill({ preview: 200, status: 200, length: String(OBJECT_BYTES), bytes: OBJECT_BYTES }));
    const growthMiB = Math.round(((peak - baseline) / MiB) * 10) / 10;
    // Printed so that a run shows the figure, not only pass or fail.
    console.log(`imm memory: ${PREVIEWS} previews of ${OBJECT_BYTES / MiB} MiB, RSS ${Math.round(baseline / MiB)} MiB → peak ${Math.round(peak / MiB)} MiB (+${growthMiB} MiB)`);
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_LIMIT);
  }, 120_000);
});
