import { setTimeout as sleep } from 'node:timers/promises';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/**
 * A bandwidth cap in bytes/s shared by every transfer to or from one registry
 * endpoint. Capacity is one second of rate, so a burst after idling is bounded.
 * Waiters are served in arrival order so one large transfer cannot starve others.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
    this.tokens = bytesPerSecond;
    this.last = clock.now();
  }

  /** Waits until `bytes` may pass. Large requests are taken in capacity-sized slices. */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.takeInOrder(bytes, signal));
    // A failed (aborted) waiter must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async takeInOrder(bytes: number, signal?: AbortSignal): Promise<void> {
    let remaining = bytes;
    while (remaining > 0) {
      signal?.throwIfAborted();
      this.refill();
      const slice = Math.min(remaining, this.bytesPerSecond);
      if (this.tokens >= slice) {
        this.tokens -= slice;
        remaining -= slice;
        continue;
      }
      const waitMs = Math.ceil(((slice - this.tokens) / this.bytesPerSecond) * 1000);
      await this.clock.sleep(Math.max(1, waitMs), signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const earned = ((now - this.last) / 1000) * this.bytesPerSecond;
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + earned);
    this.last = now;
  }
}

/**
 * Paces an async byte stream through a bucket. Without a bucket (no limit set, the
 * usual case) the stream is returned as it is: a pass-through generator would still
 * cost a few promise turns per chunk, on every blob, for nothing.
 */
export function throttled(
  source: AsyncIterable<Uint8Array>,
  bucket: TokenBucket | undefined,
  signal?: AbortSignal,
): AsyncIterable<Uint8Array> {
  return bucket ? paced(source, bucket, signal) : source;
}

async function* paced(
  source: AsyncIterable<Uint8Array>,
  bucket: TokenBucket,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    await bucket.take(chunk.byteLength, signal);
    yield chunk;
  }
}
