/**
 * Plain callbacks so the application can count what the client does (prom-client,
 * logs) without the library depending on any of it. Callbacks must not throw; they
 * receive no credentials, URLs with tokens, or bodies.
 */
export interface RegistryObserver {
  /** One HTTP exchange finished (each redirect hop and token fetch counts). */
  onRequest?(event: RequestEvent): void;
  /** A failed attempt is about to be tried again after `delayMs`. */
  onRetry?(event: RetryEvent): void;
}

export interface RequestEvent {
  registry: string;
  method: string;
  /** HTTP status, or 0 when no answer came (network error, abort). */
  status: number;
  durationMs: number;
  /** False when the request went to another host (a storage redirect). */
  sameOrigin: boolean;
}

export type RetryReason = 'rate-limited' | 'server-error' | 'network' | 'resume' | 'other';

export interface RetryEvent {
  registry: string;
  reason: RetryReason;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
}
