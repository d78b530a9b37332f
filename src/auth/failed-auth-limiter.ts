import { HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';

const WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond, expired windows go first, then the oldest. */
const DEFAULT_MAX_ADDRESSES = 10_000;

interface Window {
  start: number;
  failures: number;
}

/**
 * Counts failed authentications per client address in one-minute windows. An address
 * that reached the limit is refused (429) until its window ends, whatever token it
 * sends next, so guessing tokens costs a minute per `perMinute` guesses. Memory is
 * bounded: at most `maxAddresses` windows are kept.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = DEFAULT_MAX_ADDRESSES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const window = this.current(address);
    if (!window || window.failures < this.perMinute) return 0;
    return Math.max(1, Math.ceil((window.start + WINDOW_MS - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    const window = this.current(address);
    if (window) {
      window.failures++;
      return;
    }
    if (this.windows.size >= this.maxAddresses) this.makeRoom();
    this.windows.set(address, { start: this.now(), failures: 1 });
  }

  /** Addresses tracked now (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private current(address: string): Window | undefined {
    const window = this.windows.get(address);
    if (window && this.now() - window.start >= WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private makeRoom(): void {
    const now = this.now();
    for (const [address, window] of this.windows)
      if (now - window.start >= WINDOW_MS) this.windows.delete(address);
    // Still full: the oldest window goes (Map keeps insertion order).
    while (this.windows.size >= this.maxAddresses) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}

/** The 429 for an address past its limit: `Retry-After` set, the reason in `message`. */
export function tooManyFailures(response: Response, retryAfter: number, message: string): never {
  response.setHeader('Retry-After', String(retryAfter));
  throw new HttpException(
    { statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
