/**
 * Timeouts that follow the size of what moves. undici's body timeout is an idle
 * timeout (time between chunks), so a slow but steady 30 GB stream never dies of it;
 * what must scale is the wait for an answer after a large upload body, while the
 * registry verifies and commits the blob.
 */
export interface TimeoutOptions {
  /** TCP/TLS connect. Default 15 s. */
  connectMs?: number;
  /** Wait for response headers of an ordinary request. Default 60 s. */
  headersMs?: number;
  /** Longest pause between two body chunks, either direction. Default 120 s. */
  idleMs?: number;
  /**
   * The slowest rate at which we expect a registry to digest and commit an uploaded
   * blob; the answer to a completing upload may take size / this. Default 8 MiB/s.
   */
  commitBytesPerSecond?: number;
}

export const DEFAULT_TIMEOUTS: Required<TimeoutOptions> = {
  connectMs: 15_000,
  headersMs: 60_000,
  idleMs: 120_000,
  commitBytesPerSecond: 8 * 1024 * 1024,
};

/** Headers timeout for the request that completes an upload of `size` bytes. */
export function commitTimeoutMs(size: number, t: Required<TimeoutOptions>): number {
  return t.headersMs + Math.ceil((size / t.commitBytesPerSecond) * 1000);
}
