import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError, TransientError, type ErrorContext } from './errors.js';
import type { RegistryObserver } from './observer.js';

/**
 * Where blob bytes come from. `open` may be called again after a failure, at the
 * offset where the consumer needs to continue; an implementation that cannot seek
 * should throw a non-retryable error for offset > 0.
 *
 * Implementations: a ranged GET from a registry (`RegistryClient.blobSource`), bytes
 * in memory (`bytesSource`, small blobs and tests), a generator (`generatorSource`),
 * and, in the engine, a fan-out tee.
 */
export interface BlobSource {
  open(offset: number, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

/** A source over bytes already in memory (configs, manifests-as-blobs, tests). */
export function bytesSource(bytes: Uint8Array): BlobSource {
  return {
    async open(offset) {
      return (async function* () {
        yield bytes.subarray(offset);
      })();
    },
  };
}

/**
 * A source from a function that can produce the stream from any offset, e.g. a
 * seeded generator that is run once to hash and once to send.
 */
export function generatorSource(
  make: (offset: number, signal: AbortSignal) => AsyncIterable<Uint8Array>,
): BlobSource {
  return { open: async (offset, signal) => make(offset, signal) };
}

export interface HealingOptions {
  context: ErrorContext;
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  observer?: RegistryObserver;
}

/**
 * Reads a source from `offset`, and when it fails with a retryable error, reopens it
 * at the byte where it stopped and carries on. The consumer (an upload body) never
 * sees the break, so the destination keeps its session and no byte is sent twice.
 */
export async function* healingRead(
  source: BlobSource,
  offset: number,
  signal: AbortSignal,
  options: HealingOptions,
): AsyncGenerator<Uint8Array> {
  let position = offset;
  let failures = 0;
  for (;;) {
    try {
      const stream = await source.open(position, signal);
      for await (const chunk of stream) {
        position += chunk.byteLength;
        yield chunk;
      }
      return;
    } catch (raw) {
      signal.throwIfAborted();
      const error = asSourceError(raw, options.context);
      if (!error.retryable || ++failures > options.retries) throw error;
      const delayMs = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** (failures - 1));
      options.observer?.onRetry?.({
        registry: options.context.registry,
        reason: 'resume',
        attempt: failures,
        delayMs,
      });
      await sleep(delayMs * (1 + Math.random()), undefined, { signal });
    }
  }
}

/** Raw stream errors (socket closed mid-body) become transient registry errors. */
export function asSourceError(error: unknown, context: ErrorContext): RegistryError {
  if (error instanceof RegistryError) return error;
  const code = (error as { code?: string }).code ?? (error as Error).name;
  return new TransientError(
    `reading the source failed (${code}: ${(error as Error).message})`,
    context,
  );
}
