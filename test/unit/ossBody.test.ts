// How the local OSS reads request bodies: object bodies lazily and within their limit, small bodies within one
// budget shared by every request of the emulator.
import type { IncomingHttpHeaders } from 'node:http';
import { BufferBudget, readBuffered, streamBody, type RequestBody } from '../../local/oss/body';
import { OssError } from '../../local/oss/errors';

/** A request body arriving in chunks, recording how many chunks anyone pulled. */
function body(chunks: Buffer[], headers: IncomingHttpHeaders = {}): RequestBody & { pulled: number } {
  const request = {
    headers,
    pulled: 0,
    async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) {
        request.pulled++;
        yield chunk;
      }
    },
  };
  return request;
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let size = 0;
  for await (const chunk of source) size += chunk.length;
  return size;
}

describe('streamBody', () => {
  it('reads nothing until iterated', async () => {
    // Prepare
    const request = body([Buffer.alloc(10), Buffer.alloc(10)]);
    // Act
    const source = streamBody(request, 100);
    const before = request.pulled;
    const size = await drain(source);
    // Assess
    expect(before).toBe(0);
    expect(size).toBe(20);
  });

  it.each([
    ['a Content-Length over the limit, before reading a byte', { 'content-length': '101' }, 0],
    ['more bytes than the limit without Content-Length, as soon as they pass it', {}, 2],
    ['more bytes than a Content-Length under the limit claimed', { 'content-length': '10' }, 2],
  ])('refuses %s with 400 EntityTooLarge', async (_name, headers: IncomingHttpHeaders, pulled) => {
    // Prepare
    const request = body([Buffer.alloc(60), Buffer.alloc(60), Buffer.alloc(60)], headers);
    // Act
    const error = await drain(streamBody(request, 100)).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(OssError);
    expect(error).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(request.pulled).toBe(pulled);
  });
});

describe('readBuffered and BufferBudget', () => {
  it('holds bytes against the budget until the lease is released', async () => {
    // Prepare
    const budget = new BufferBudget(100);
    const lease = budget.lease();
    // Act
    const read = await readBuffered(body([Buffer.from('abc'), Buffer.from('de')]), 50, lease);
    const held = budget.inUse;
    lease.release();
    lease.release();
    // Assess
    expect(read.toString()).toBe('abcde');
    expect(held).toBe(5);
    expect(budget.inUse).toBe(0);
  });

  it('refuses a request with 503 ServiceUnavailable once others hold the whole budget, and frees what it took', async () => {
    // Prepare
    const budget = new BufferBudget(100);
    const first = budget.lease();
    await readBuffered(body([Buffer.alloc(70)]), 80, first);
    const second = budget.lease();
    // Act
    const error = await readBuffered(body([Buffer.alloc(20), Buffer.alloc(20)]), 80, second).catch((e: unknown) => e);
    second.release();
    const during = budget.inUse;
    first.release();
    const third = await readBuffered(body([Buffer.alloc(80)]), 80, budget.lease());
    // Assess
    expect(error).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    expect(during).toBe(70);
    expect(third.length).toBe(80);
  });

  it('refuses a body over its own limit with 400 EntityTooLarge before reading it', async () => {
    // Prepare
    const request = body([Buffer.alloc(10)], { 'content-length': '2097153' });
    // Act
    const error = await readBuffered(request, 2 * 1024 * 1024, new BufferBudget(100).lease()).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(request.pulled).toBe(0);
  });
});
