import { ProtocolError, RateLimitedError, RegistryError } from '../../oci/index.js';

export interface FailureClass {
  retryable: boolean;
  /** Bounded label for regrelay_retries_total. */
  reason: 'rate_limited' | 'transient' | 'unexpected';
  retryAfterMs?: number;
}

/**
 * Whether a failed task attempt is worth another try. Registry errors say so
 * themselves (rate limits, network faults, 5xx); protocol violations, missing
 * content, denied access and digest mismatches will not heal by waiting. Anything
 * else (a database hiccup, a bug) gets the benefit of the doubt: retrying is safe
 * because every step of a copy is idempotent.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof RateLimitedError)
    return { retryable: true, reason: 'rate_limited', retryAfterMs: error.retryAfterMs };
  if (error instanceof ProtocolError && error.status === 400 && error.code === 'DIGEST_INVALID') {
    // distribution 2.8 answers this to an index push while one of its child manifests
    // is being re-pushed (another replica copying the same content): it passes.
    return { retryable: true, reason: 'transient' };
  }
  if (error instanceof RegistryError) return { retryable: error.retryable, reason: 'transient' };
  return { retryable: true, reason: 'unexpected' };
}
