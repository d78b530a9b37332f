import { expect } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { NotificationSink } from './notification-sink.js';
import { waitFor } from './wait.js';

/** Expects every `[repository, tag]` at `destinationUrl` to hold the source's digest. */
export async function expectSameDigests(
  source: RegistryClient,
  destinationUrl: string,
  refs: readonly (readonly [repository: string, tag: string])[],
): Promise<void> {
  const check = new RegistryClient({ name: 'check', url: destinationUrl });
  try {
    for (const [repository, tag] of refs)
      expect((await check.headManifest(repository, tag))?.digest).toBe(
        (await source.headManifest(repository, tag))?.digest,
      );
  } finally {
    await check.close();
  }
}

/**
 * The registry's own account: waits for a push of each `repository:tag` among those
 * under `prefix` and expects exactly one each, whoever copied it.
 */
export async function expectPushedOnce(
  sink: NotificationSink,
  expected: readonly string[],
  prefix = '',
): Promise<void> {
  const pushes = await waitFor('a push event for every tag', async () => {
    const seen = sink.tagPushes().filter((p) => p.startsWith(prefix));
    return expected.every((tag) => seen.includes(tag)) ? seen : undefined;
  });
  expect(pushes.sort()).toEqual([...expected].sort());
}
