/**
 * Runs `work` for each item of a (possibly async, possibly endless) source with at
 * most `limit` in flight, pulling items only as slots free up, so a huge listing is
 * never held whole in memory. Stops pulling at the first failure or abort, waits for
 * what is in flight, then rethrows the failure.
 */
export async function forEachConcurrent<T>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of source) {
    if (failure || signal?.aborted) break;
    const running: Promise<void> = work(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}

/** Maps with bounded concurrency, keeping order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  await forEachConcurrent(items.keys(), limit, async (i) => {
    results[i] = await fn(items[i]!);
  });
  return results;
}
