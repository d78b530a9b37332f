import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, json, runToSuccess, tasks } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;

/**
 * Retention-style tag selection, as ACR's "keep the 3 latest builds" and what regsync
 * and zot users ask for: `latest: N` per repository (by the image config's created
 * time) and `semver` ranges; with deletion on, tags that fall out of the selection
 * leave the destination where regrelay wrote them, and nothing else does.
 */
describe('latest and semver tag selection', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let src: RegistryClient, dst: RegistryClient;
  let sourceId: string, destinationId: string;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    src = new RegistryClient({ name: 'source', url: source.url });
    dst = new RegistryClient({ name: 'destination', url: destination.url });
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    sourceId = await addRegistry(t, 'source', source);
    destinationId = await addRegistry(t, 'destination', destination);
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await Promise.all([source, destination].map((r) => r?.destroy()));
  });

  const image = (client: RegistryClient, repository: string, tag: string, created?: string) =>
    new ImageBuilder(client).image(repository, {
      tag,
      layers: [{ seed: `${repository}-${tag}`, size: 8 * KiB }],
      created,
    });
  const sorted = async (repository: string) => (await dst.listTags(repository)).sort();

  it('latest: 3 keeps exactly the three newest tags at the destination', async () => {
    const repository = 'builds/app';
    // Built in this order; names deliberately not in that order.
    const builds = ['b', 'e', 'a', 'd', 'c'];
    for (const [i, tag] of builds.entries())
      await image(src, repository, tag, `2026-03-0${i + 1}T10:00:00Z`);
    // Pushed at the destination by someone else: never regrelay's to delete.
    await image(dst, repository, 'hotfix', '2026-01-01T00:00:00Z');
    const policy = await addPolicy(t, {
      name: 'keep-three',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: [repository], latest: 3 },
      deletion: true,
    });
    await runToSuccess(t, policy);
    expect(await sorted(repository)).toEqual(['a', 'c', 'd', 'hotfix']);

    // A newer build pushes the oldest of the three out.
    await image(src, repository, 'f', '2026-03-06T10:00:00Z');
    const done = await runToSuccess(t, policy);
    expect(await sorted(repository)).toEqual(['c', 'd', 'f', 'hotfix']);
    const deletes = (await tasks(t, done.id)).filter((task) => task.operation === 'delete');
    expect(deletes.map((d) => [d.tag, d.status])).toEqual([['a', 'succeeded']]);
    // The source keeps all its tags: only the replica is trimmed.
    expect((await src.listTags(repository)).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);

    // In step now: nothing to copy, nothing to delete.
    const again = await runToSuccess(t, policy);
    expect(again.counts).toMatchObject({ total: 3, skipped: 3 });
    expect(await sorted(repository)).toEqual(['c', 'd', 'f', 'hotfix']);
  });

  it('semver ">=1.2 <2" copies only the versions in the range', async () => {
    const repository = 'versions/app';
    for (const tag of ['1.0.0', '1.2.0', 'v1.5.3', '1.9.0-rc.1', '2.0.0', 'latest', '1.x'])
      await image(src, repository, tag);
    const policy = await addPolicy(t, {
      name: 'one-dot',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: [repository], semver: '>=1.2 <2' },
    });
    const done = await runToSuccess(t, policy);
    expect(done.counts).toMatchObject({ total: 2, succeeded: 2 });
    expect(await sorted(repository)).toEqual(['1.2.0', 'v1.5.3']);
  });

  it('refuses a semver range that is not one, and a latest below 1, naming the fields', async () => {
    const res = await t.api('/api/v1/policies', {
      method: 'POST',
      json: {
        name: 'bad-selection',
        sourceRegistryId: sourceId,
        destinations: [{ registryId: destinationId }],
        filters: { semver: 'newest please' },
      },
    });
    const body = await json<{ errors: { field: string; reason: string }[] }>(res, 400);
    expect(body.errors).toEqual([
      { field: 'filters.semver', reason: expect.stringContaining('is not a semver range') },
    ]);
    const zero = await t.api('/api/v1/policies', {
      method: 'POST',
      json: {
        name: 'bad-latest',
        sourceRegistryId: sourceId,
        destinations: [{ registryId: destinationId }],
        filters: { latest: 0 },
      },
    });
    expect(
      (await json<{ errors: { field: string }[] }>(zero, 400)).errors.map((e) => e.field),
    ).toEqual(['filters.latest']);
  });
});
