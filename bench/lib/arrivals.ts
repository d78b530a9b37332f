import { setTimeout as sleep } from 'node:timers/promises';
import type { RegistryClient } from '../../src/oci/index.js';

/** How often the bench asks each registry whether a push has arrived. */
export const POLL_MS = 20;

/**
 * Seconds from `since` (performance.now()) until each registry holds `digest` at
 * `repository:tag`, asking every registry still waiting by HEAD every POLL_MS.
 */
export async function arrivalsOf<K>(
  clients: Map<K, RegistryClient>,
  repository: string,
  tag: string,
  digest: string,
  since: number,
  timeoutMs = 120_000,
): Promise<Map<K, number>> {
  const arrived = new Map<K, number>();
  const deadline = since + timeoutMs;
  const waiting = new Set<K>(clients.keys());
  while (waiting.size) {
    if (performance.now() > deadline)
      throw new Error(
        `${repository}:${tag} did not reach ${[...waiting].join(', ')} within ${timeoutMs / 1000} s`,
      );
    await Promise.all(
      [...waiting].map(async (name) => {
        const head = await clients
          .get(name)!
          .headManifest(repository, tag)
          .catch(() => undefined);
        if (head?.digest !== digest) return;
        arrived.set(name, (performance.now() - since) / 1000);
        waiting.delete(name);
      }),
    );
    if (waiting.size) await sleep(POLL_MS);
  }
  return arrived;
}
