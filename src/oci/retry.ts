import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError, RegistryError, TransientError } from './errors.js';
import type { RegistryObserver, RetryReason } from './observer.js';

export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** First backoff delay. Default 250 ms. */
  minDelayMs?: number;
  /** Backoff cap. Default 30 s. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` we wait for in place. A registry asking for longer gets
   * a RateLimitedError at once, so the caller can reschedule instead of holding a
   * worker. Default 2 min.
   */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 5,
  minDelayMs: 250,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** Whether an error may succeed if the same thing is tried again. */
export function isRetryable(error: unknown, options: Required<RetryOptions>): boolean {
  if (error instanceof RateLimitedError) {
    return (error.retryAfterMs ?? 0) <= options.maxRetryAfterMs;
  }
  return error instanceof RegistryError && error.retryable;
}

export function retryReason(error: unknown): RetryReason {
  if (error instanceof RateLimitedError) return 'rate-limited';
  if (error instanceof TransientError) return error.status ? 'server-error' : 'network';
  return 'other';
}

export interface RetryRun {
  registry: string;
  options: Required<RetryOptions>;
  observer?: RegistryObserver;
  signal?: AbortSignal;
}

/**
 * Runs `attempt` with exponential backoff and jitter (p-retry), capped. On 429/503
 * with `Retry-After`, waits at least what the registry asked. Only errors marked
 * retryable are retried: 400/401/403/404 and digest mismatches fail at once.
 */
export function withRetries<T>(attempt: (n: number) => Promise<T>, run: RetryRun): Promise<T> {
  const { options, signal } = run;
  return pRetry(attempt, {
    retries: options.retries,
    factor: 2,
    minTimeout: options.minDelayMs,
    maxTimeout: options.maxDelayMs,
    randomize: true,
    signal,
    shouldRetry: ({ error }) => isRetryable(error, options),
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
      if (retriesLeft <= 0 || !isRetryable(error, options)) return;
      const asked = error instanceof RateLimitedError ? (error.retryAfterMs ?? 0) : 0;
      const extra = Math.max(0, asked - retryDelay);
      run.observer?.onRetry?.({
        registry: run.registry,
        reason: retryReason(error),
        attempt: attemptNumber,
        delayMs: retryDelay + extra,
      });
      if (extra > 0) await sleep(extra, undefined, { signal });
    },
  });
}
