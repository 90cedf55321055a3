// The bytes the offline IMM may hold in memory at once, across every request and task of the process (the whole
// local stack shares one process, so one oversized read must not take the others down). Only what is buffered
// whole counts: an image being scored, a text being laid out as a PDF. Streams (objects piped to temporary
// files, PDFs piped to the browser) hold a few chunks each and are not counted.
//
// The choice: queue, then refuse. A reservation waits in arrival order (FIFO, so a large one is not starved by
// small ones) until the bytes are free; one that waits longer than `maxWaitMs`, or that could never fit, is
// refused with IMM's documented `LimitExceededError` (400, "input quota exceed the max value"; reference
// imm-sts.md §6), which the functions treat as a retryable 429.
import { immErrors } from './errors';

export const DEFAULT_MEMORY_CAP_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MEMORY_WAIT_MS = 30_000;

export interface MemoryBudgetOptions {
  /** Default 64 MiB. */
  capBytes?: number;
  /** How long a reservation may wait for bytes to free up; default 30 s. */
  maxWaitMs?: number;
}

/** Gives the reserved bytes back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class MemoryBudget {
  readonly capBytes: number;
  readonly maxWaitMs: number;
  private used = 0;
  private readonly queue: Waiter[] = [];

  constructor(options: MemoryBudgetOptions = {}) {
    this.capBytes = positive(options.capBytes, DEFAULT_MEMORY_CAP_BYTES, 'capBytes');
    this.maxWaitMs = positive(options.maxWaitMs, DEFAULT_MEMORY_WAIT_MS, 'maxWaitMs');
  }

  /** Bytes reserved right now. */
  get inUse(): number {
    return this.used;
  }

  /** Reserves `bytes` for `what` (named in the refusal). Throws ImmError LimitExceededError. */
  async reserve(bytes: number, what: string): Promise<Release> {
    const need = Math.max(0, Math.ceil(bytes));
    if (need > this.capBytes) {
      throw immErrors.limitExceeded(`${what} needs ${need} bytes in memory, more than the ${this.capBytes} the local IMM holds at once`);
    }
    if (this.queue.length === 0 && this.used + need <= this.capBytes) return this.take(need);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes: need,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const error = immErrors.limitExceeded(`${what} waited ${this.maxWaitMs} ms for ${need} bytes: the local IMM already holds ${this.used} of its ${this.capBytes}; retry later`);
        this.queue.splice(this.queue.indexOf(waiter), 1);
        // The head may have been the one that did not fit: the next ones may.
        this.pump();
        reject(error);
      }, this.maxWaitMs);
      timer.unref?.();
      this.queue.push(waiter);
    });
    return this.release(need);
  }

  /** Runs `use` with `bytes` reserved, and gives them back however it ends. */
  async with<T>(bytes: number, what: string, use: () => Promise<T>): Promise<T> {
    const release = await this.reserve(bytes, what);
    try {
      return await use();
    } finally {
      release();
    }
  }

  private take(bytes: number): Release {
    this.used += bytes;
    return this.release(bytes);
  }

  /** A waiter's bytes were counted when it was granted; this only gives them back. */
  private release(bytes: number): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= bytes;
      this.pump();
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.used + this.queue[0].bytes <= this.capBytes) {
      const next = this.queue.shift() as Waiter;
      this.used += next.bytes;
      next.grant();
    }
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`imm memory budget: ${name} must be a positive number, not \`${value}\``);
  return value;
}
