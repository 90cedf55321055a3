// The local OSS under large bodies, measured: the stack shares this process, so its RSS is the stack's memory.
// A refused upload is refused before its body is read; an accepted one streams through to disk and back.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { partnerClient, startTestStack, type TestStack } from '../helpers/stack';

const MiB = 1024 * 1024;

/** Samples this process's RSS every 20 ms; stop() returns the largest growth over the RSS at start. */
function sampleRss(): { stop(): number } {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return peak - baseline;
    },
  };
}

/** A request body of `mib` MiB, produced as it is sent (one chunk reused), so the client holds no body either. */
function streamedBody(mib: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MiB).fill(0x61);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= mib) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

describe('local OSS memory', () => {
  let stack: TestStack;
  let workDir: string;

  beforeAll(async () => {
    stack = await startTestStack();
    workDir = mkdtempSync(path.join(tmpdir(), 'oss-memory-'));
  });
  afterAll(async () => {
    await stack?.dispose();
    rmSync(workDir, { recursive: true, force: true });
  });

  const stagingFiles = () => readdirSync(path.join(stack.dataDir, 'oss', 'objects', stack.info.bucket)).filter((f) => f.startsWith('upload.tmp-'));

  it('refuses 16 concurrent anonymous 60 MiB uploads with 403 before reading them, keeping RSS growth under 64 MiB', async () => {
    // Prepare
    const url = (i: number) => `${stack.info.endpoints.oss}/${stack.info.bucket}/incoming/anonymous-${i}.bin`;
    const rss = sampleRss();
    // Act: plain fetch, no credentials, chunked bodies (no Content-Length to refuse them by).
    const answers = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const response = await fetch(url(i), { method: 'PUT', body: streamedBody(60), duplex: 'half' } as RequestInit);
        return { status: response.status, text: await response.text() };
      }),
    );
    const growth = rss.stop();
    // Assess
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(403));
    expect(answers[0].text).toContain('<Code>AccessDenied</Code>');
    expect(growth).toBeLessThan(64 * MiB);
    expect(stagingFiles()).toEqual([]);
    expect(await stack.oss.objects.list(stack.info.bucket, 'incoming/anonymous-')).toEqual([]);
  });

  it('round-trips an authorized 100 MiB object through ali-oss with its MD5 as ETag, streaming both ways', async () => {
    // Prepare: a file of 100 distinct MiB, hashed as it is written.
    const file = path.join(workDir, 'big.bin');
    const md5 = createHash('md5');
    const out = createWriteStream(file);
    const block = randomBytes(MiB);
    for (let i = 0; i < 100; i++) {
      block.writeUInt32BE(i, 0);
      md5.update(block);
      if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
    const digest = md5.digest();
    const client = partnerClient(stack.info, true);
    const rss = sampleRss();
    // Act
    const put = await client.put('big/object.bin', file, { headers: { 'Content-MD5': digest.toString('base64') } });
    const got = await client.getStream('big/object.bin');
    const readBack = createHash('md5');
    let size = 0;
    for await (const chunk of got.stream as AsyncIterable<Buffer>) {
      readBack.update(chunk);
      size += chunk.length;
    }
    const growth = rss.stop();
    const head = await client.head('big/object.bin');
    // Assess
    const etag = `"${digest.toString('hex').toUpperCase()}"`;
    expect(put.res.status).toBe(200);
    expect((put.res.headers as Record<string, string>).etag).toBe(etag);
    expect(size).toBe(100 * MiB);
    expect(readBack.digest().equals(digest)).toBe(true);
    expect((head.res.headers as Record<string, string>)['content-md5']).toBe(digest.toString('base64'));
    expect(growth).toBeLessThan(64 * MiB);
    expect(stagingFiles()).toEqual([]);
  }, 120_000);

  it('refuses a large upload whose Content-MD5 does not match, keeping neither the object nor its staging file', async () => {
    // Prepare
    const client = partnerClient(stack.info);
    const body = Buffer.alloc(8 * MiB, 0x62);
    const wrong = createHash('md5').update('something else').digest('base64');
    // Act
    const error = await client.put('big/mismatch.bin', body, { headers: { 'Content-MD5': wrong } }).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect(await stack.oss.objects.list(stack.info.bucket, 'big/mismatch')).toEqual([]);
    expect(stagingFiles()).toEqual([]);
  });
});
