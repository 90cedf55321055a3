// Protocol layer: reading request bodies without letting callers decide how much memory the emulator uses.
// Every service of the local stack shares one process, so one request's memory is everyone's.
//   - Object bodies (PutObject) are never buffered: streamBody() hands the service a lazy source, read only after
//     authorization, which the store streams to disk (FileStore.stage).
//   - The small XML and JSON bodies that must be parsed whole (bucket policy, tagging, versioning, multi-delete)
//     are buffered by readBuffered() against one BufferBudget per emulator: beyond it a request is refused at once
//     with 503 ServiceUnavailable, the code OSS documents for "the OSS server is busy, retry later"
//     (help.aliyun.com/zh/oss/support/http-status-code-503), which SDKs treat as retryable.
import type { IncomingHttpHeaders } from 'node:http';
import { ossErrors } from './errors';

/** What body reading needs of an IncomingMessage: its headers and its chunks. */
export type RequestBody = AsyncIterable<Buffer> & { readonly headers: IncomingHttpHeaders };

/** Bytes of request bodies held in memory at once across every request of one emulator. */
export class BufferBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** A per-request account: take() as bytes arrive, release() once the request is answered. */
  lease(): BufferLease {
    let held = 0;
    return {
      take: (bytes: number) => {
        if (this.used + bytes > this.capacity) throw ossErrors.serviceBusy(this.capacity);
        this.used += bytes;
        held += bytes;
      },
      release: () => {
        this.used -= held;
        held = 0;
      },
    };
  }
}

export interface BufferLease {
  /** Accounts for `bytes` more, or throws 503 ServiceUnavailable when the budget has no room. */
  take(bytes: number): void;
  /** Gives back everything this lease took; safe to call more than once. */
  release(): void;
}

/**
 * Reads a whole (small) body into memory: refused before reading when Content-Length already exceeds `limit`,
 * and as soon as the bytes read exceed it, so a lying or chunked client gets no further.
 */
export async function readBuffered(req: RequestBody, limit: number, lease: BufferLease): Promise<Buffer> {
  if (declaredLength(req) > limit) throw ossErrors.entityTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw ossErrors.entityTooLarge(limit);
    lease.take(chunk.length);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The request body as a lazy source: nothing is read until the consumer iterates, and it stops with
 * 400 EntityTooLarge once Content-Length or the bytes actually sent exceed `limit`.
 */
export function streamBody(req: RequestBody, limit: number): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      if (declaredLength(req) > limit) throw ossErrors.entityTooLarge(limit);
      let size = 0;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > limit) throw ossErrors.entityTooLarge(limit);
        yield chunk;
      }
    },
  };
}

/** Content-Length as a number; 0 when absent (chunked) or unreadable, which the byte count then covers. */
function declaredLength(req: RequestBody): number {
  const value = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(value) ? value : 0;
}
