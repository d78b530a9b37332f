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

/** Paces an async byte stream through a bucket (no bucket: passes through). */
export async function* throttled(
  source: AsyncIterable<Uint8Array>,
  bucket: TokenBucket | undefined,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (bucket) await bucket.take(chunk.byteLength, signal);
    yield chunk;
  }
}
