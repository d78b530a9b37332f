import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ExecutionsService } from '../../src/replication/executions/executions.service.js';
import { policyOwner } from '../../src/replication/owners/execution-owner.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, finished, runToSuccess } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;

/**
 * An execution planned twice (its planner died or the database went away, and another
 * pass planned it again) can hold a copy of a tag from the first plan and a delete of
 * the same tag from the second, when the tag moved and then left the source between
 * the two. Whatever order they run in, the ledger must end up telling the truth about
 * what regrelay wrote, or the tag is never deleted.
 */
describe('a re-planned execution with a copy and a delete of one tag', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let src: RegistryClient, dst: RegistryClient;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    // One worker: the tasks run in the order they were planned, copy first.
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_WORKERS: '1' });
    src = new RegistryClient({ name: 'source', url: source.url });
    dst = new RegistryClient({ name: 'destination', url: destination.url });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([src, dst].map((c) => c?.close()));
    await Promise.all([source, destination].map((r) => r?.destroy()));
  });

  it('keeps the copy in the ledger, so the next run deletes the tag the source lost', async () => {
    const build = new ImageBuilder(src);
    const first = await build.image('app', {
      tag: 'v5',
      layers: [{ seed: 'v5-first', size: KiB }],
    });
    // The image v5 moves to, also tagged `keep` (not replicated) so it stays at the
    // source when v5 goes; at the destination nothing else points at it, so a registry
    // without tag delete can delete v5 with its manifest.
    const moved = await build.image('app', {
      tag: 'keep',
      layers: [{ seed: 'v5-moved', size: KiB }],
    });
    const sourceId = await addRegistry(t, 'source', source);
    const destinationId = await addRegistry(t, 'destination', destination);
    const policy = await addPolicy(t, {
      name: 'mirror',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['app'], tags: ['v*'] },
      deletion: true,
      override: true,
    });
    await runToSuccess(t, policy);
    expect((await dst.headManifest('app', 'v5'))?.digest).toBe(first.descriptor.digest);

    // v5 moved to the other image (the first plan's copy), then left the source (the
    // second plan's delete, of the digest the ledger held then).
    await src.deleteManifest('app', first.descriptor.digest);
    const task = {
      sourceRegistryId: sourceId,
      sourceRepository: 'app',
      destinationRegistryId: destinationId,
      destinationRepository: 'app',
      tag: 'v5',
      mediaType: null,
      status: 'pending' as const,
      reason: null,
    };
    const replanned = await t.app.get(ExecutionsService).createPlanned({
      owner: policyOwner(policy),
      trigger: 'manual',
      settings: { override: true, bandwidthLimit: null, maxConcurrency: null },
      tasks: [
        { ...task, operation: 'copy', digest: moved.descriptor.digest },
        { ...task, operation: 'delete', digest: first.descriptor.digest },
      ],
    });
    await finished(t, replanned.id);
    // The copy landed; the delete found another digest there and left it.
    expect((await dst.headManifest('app', 'v5'))?.digest).toBe(moved.descriptor.digest);

    // The next run sees v5 gone from the source and what regrelay wrote still there.
    await runToSuccess(t, policy);
    expect(await dst.headManifest('app', 'v5')).toBeUndefined();
  });
});
