import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  finished,
  json,
  runToSuccess,
  tasks,
  trigger,
} from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { metricValue } from '../support/metrics.js';

const KiB = 1024;

describe('delete propagation and the deletion guard', () => {
  let t: TestApp;
  let source: TestRegistry, east: TestRegistry, west: TestRegistry;
  let src: RegistryClient, eastClient: RegistryClient, westClient: RegistryClient;
  let sourceId: string, eastId: string, westId: string;
  const images: Record<string, PushedManifest> = {};

  beforeAll(async () => {
    [source, east, west] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    src = new RegistryClient({ name: 'source', url: source.url });
    eastClient = new RegistryClient({ name: 'east', url: east.url });
    westClient = new RegistryClient({ name: 'west', url: west.url });
    const build = new ImageBuilder(src);
    for (const tag of ['a', 'b', 'c', 'd', 'e', 'f']) {
      images[tag] = await build.image('app', {
        tag,
        layers: [{ seed: `app-${tag}`, size: 4 * KiB }],
      });
    }
    sourceId = await addRegistry(t, 'source', source, { username: 'u', password: 'p' });
    eastId = await addRegistry(t, 'east', east);
    westId = await addRegistry(t, 'west', west);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([src, eastClient, westClient].map((c) => c?.close()));
    await Promise.all([source, east, west].map((r) => r?.destroy()));
  });

  const tagsAt = async (client: RegistryClient) => (await client.listTags('app')).sort();
  const dropAtSource = (tag: string) => src.deleteManifest('app', images[tag]!.descriptor.digest);

  let policy: string;
  it('replicates, then deletes at both destinations what the source deleted, and nothing else', async () => {
    policy = await addPolicy(t, {
      name: 'mirror-with-deletes',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: eastId }, { registryId: westId }],
      filters: { repositories: ['app'] },
      deletion: true,
    });
    await runToSuccess(t, policy);
    expect(await tagsAt(eastClient)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    // Someone pushes a tag of their own straight to east.
    await new ImageBuilder(eastClient).image('app', {
      tag: 'theirs',
      layers: [{ seed: 'not-ours', size: KiB }],
    });

    await dropAtSource('a');
    const done = await runToSuccess(t, policy);
    const deletes = (await tasks(t, done.id)).filter((task) => task.operation === 'delete');
    expect(deletes.map((d) => [d.destinationRegistry, d.tag, d.status])).toEqual(
      expect.arrayContaining([
        ['east', 'a', 'succeeded'],
        ['west', 'a', 'succeeded'],
      ]),
    );
    expect(deletes).toHaveLength(2);
    expect(await tagsAt(eastClient)).toEqual(['b', 'c', 'd', 'e', 'f', 'theirs']);
    expect(await tagsAt(westClient)).toEqual(['b', 'c', 'd', 'e', 'f']);
  });

  it('leaves a tag alone when it changed at the destination since regrelay wrote it', async () => {
    await new ImageBuilder(westClient).image('app', {
      tag: 'b',
      layers: [{ seed: 'west-local-b', size: KiB }],
    });
    const westB = (await westClient.headManifest('app', 'b'))!.digest;
    await dropAtSource('b');
    const done = await runToSuccess(t, policy);
    const deletes = (await tasks(t, done.id)).filter((task) => task.operation === 'delete');
    expect(deletes.find((d) => d.destinationRegistry === 'west')).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/changed at the destination/),
    });
    expect(deletes.find((d) => d.destinationRegistry === 'east')).toMatchObject({
      status: 'succeeded',
    });
    expect((await westClient.headManifest('app', 'b'))?.digest).toBe(westB);
    expect(await tagsAt(eastClient)).toEqual(['c', 'd', 'e', 'f', 'theirs']);
  });

  it('holds a plan that deletes too much, says why, and runs it once confirmed', async () => {
    for (const tag of ['c', 'd', 'e']) await dropAtSource(tag);
    const done = await finished(t, await trigger(t, policy));
    expect(done.status).toBe('succeeded');
    expect(done.counts.held).toBe(6); // three tags × two destinations
    expect(done.message).toMatch(
      /Deletion guard held 6 deletion\(s\).*east: 3 of 4 replicated tags.*confirm-deletions/,
    );
    expect(await tagsAt(eastClient)).toEqual(['c', 'd', 'e', 'f', 'theirs']);
    expect(
      await metricValue(t, 'regrelay_deletion_guard_trips_total', {
        policy: 'mirror-with-deletes',
        destination: 'east',
        reason: 'too_many',
      }),
    ).toBe(1);

    const confirmed = await json<{ executionId: string; confirmed: number }>(
      await t.api(`/api/v1/executions/${done.id}/confirm-deletions`, { method: 'POST' }),
      202,
    );
    expect(confirmed.confirmed).toBe(6);
    const followUp = await finished(t, confirmed.executionId);
    expect(followUp).toMatchObject({ status: 'succeeded', counts: { succeeded: 6 } });
    expect(await tagsAt(eastClient)).toEqual(['f', 'theirs']);
    expect(await tagsAt(westClient)).toEqual(['b', 'f']);
    expect(
      (await t.api(`/api/v1/executions/${done.id}/confirm-deletions`, { method: 'POST' })).status,
    ).toBe(409);
  });

  it('deletes nothing when the source cannot be listed (wrong credentials)', async () => {
    const locked = await startRegistry({ users: [{ username: 'relay', password: 'right' }] });
    try {
      const lockedClient = new RegistryClient({
        name: 'locked',
        url: locked.url,
        credentials: { username: 'relay', password: 'right' },
      });
      await new ImageBuilder(lockedClient).image('guarded', {
        tag: 'v1',
        layers: [{ seed: 'guarded', size: KiB }],
      });
      await lockedClient.close();
      const lockedId = await addRegistry(t, 'locked', locked, {
        username: 'relay',
        password: 'right',
      });
      const id = await addPolicy(t, {
        name: 'locked-source',
        sourceRegistryId: lockedId,
        destinations: [{ registryId: eastId }],
        filters: { repositories: ['**'] },
        deletion: true,
      });
      await runToSuccess(t, id);
      expect(await eastClient.listTags('guarded')).toEqual(['v1']);

      await json(
        await t.api(`/api/v1/registries/${lockedId}`, {
          method: 'PATCH',
          json: { password: 'expired' },
        }),
      );
      const done = await finished(t, await trigger(t, id));
      expect(done.status).toBe('failed');
      expect(done.message).toMatch(
        /could not list repositories.*authentication failed.*nothing was deleted/,
      );
      expect(await eastClient.listTags('guarded')).toEqual(['v1']);
      expect(
        await metricValue(t, 'regrelay_deletion_guard_trips_total', {
          policy: 'locked-source',
          reason: 'source_unreadable',
        }),
      ).toBe(1);
    } finally {
      await locked.destroy();
    }
  });

  it('holds every deletion when the source lists nothing where the ledger holds tags', async () => {
    const build = new ImageBuilder(src);
    const one = await build.image('solo', { tag: 'one', layers: [{ seed: 'solo-1', size: KiB }] });
    const two = await build.image('solo', { tag: 'two', layers: [{ seed: 'solo-2', size: KiB }] });
    const id = await addPolicy(t, {
      name: 'solo',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: westId }],
      filters: { repositories: ['solo'] },
      deletion: true,
    });
    await runToSuccess(t, id);
    await src.deleteManifest('solo', one.descriptor.digest);
    await src.deleteManifest('solo', two.descriptor.digest);
    const done = await runToSuccess(t, id);
    expect(done.counts.held).toBe(2);
    expect(done.message).toMatch(/the source listed nothing while 2 tags are replicated there/);
    expect((await westClient.listTags('solo')).sort()).toEqual(['one', 'two']);
  });

  it('deletes a manifest whose tags all left the source, and keeps one a tag of someone else still points at', async () => {
    const build = new ImageBuilder(src);
    const both = await build.image('shared', {
      tag: 'one',
      layers: [{ seed: 'shared-1', size: KiB }],
    });
    await src.putManifest('shared', 'two', both.bytes, both.descriptor.mediaType);
    const kept = await build.image('shared', {
      tag: 'kept',
      layers: [{ seed: 'shared-k', size: KiB }],
    });
    // Enough tags stay that neither rule of the deletion guard applies.
    for (const tag of ['s1', 's2', 's3', 's4'])
      await build.image('shared', { tag, layers: [{ seed: `shared-${tag}`, size: KiB }] });
    const policyId = await addPolicy(t, {
      name: 'shared-deletes',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: eastId }],
      filters: { repositories: ['shared'] },
      deletion: true,
    });
    await runToSuccess(t, policyId);
    // At east someone tags the "kept" image for themselves too.
    await eastClient.putManifest('shared', 'mine', kept.bytes, kept.descriptor.mediaType);
    // distribution deletes by digest: both tags of the first manifest leave the source at once.
    await src.deleteManifest('shared', both.descriptor.digest);
    await src.deleteManifest('shared', kept.descriptor.digest);
    const done = await runToSuccess(t, policyId);
    const deletes = (await tasks(t, done.id)).filter((task) => task.operation === 'delete');
    expect(deletes.map((d) => [d.tag, d.status]).sort()).toEqual([
      ['kept', 'skipped'],
      ['one', expect.stringMatching(/succeeded|skipped/)],
      ['two', expect.stringMatching(/succeeded|skipped/)],
    ]);
    expect(deletes.find((d) => d.tag === 'kept')!.reason).toMatch(
      /mine .*point\(s\) at the same manifest/,
    );
    expect((await eastClient.listTags('shared')).sort()).toEqual([
      'kept',
      'mine',
      's1',
      's2',
      's3',
      's4',
    ]);
  });
});
