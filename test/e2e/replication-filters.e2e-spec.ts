import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, runToSuccess, tasks } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;
const SOURCE_TAGS: Record<string, string[]> = {
  'library/nginx': ['1.25', '1.26', '1.26-debug', 'latest'],
  'library/redis': ['7.2.4', '7.2.4-rc1', 'latest'],
  'team/app/api': ['v1.0.0', 'v1.1.0', 'dev-42'],
  'team/app/web': ['v1.0.0'],
  tools: ['stable'],
};

describe('filters and override', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let sourceClient: RegistryClient, destinationClient: RegistryClient;
  let sourceId: string, destinationId: string;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    destinationClient = new RegistryClient({ name: 'destination', url: destination.url });
    const build = new ImageBuilder(sourceClient);
    for (const [repository, tags] of Object.entries(SOURCE_TAGS)) {
      for (const tag of tags)
        await build.image(repository, {
          tag,
          layers: [{ seed: `${repository}:${tag}`, size: 4 * KiB }],
        });
    }
    sourceId = await addRegistry(t, 'source', source);
    destinationId = await addRegistry(t, 'destination', destination);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([sourceClient?.close(), destinationClient?.close()]);
    await Promise.all([source, destination].map((r) => r?.destroy()));
  });

  async function planned(filters: object, namespace: string): Promise<string[]> {
    const id = await addPolicy(t, {
      name: `filters-${namespace}`,
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId, namespace }],
      filters,
    });
    const done = await runToSuccess(t, id);
    return (await tasks(t, done.id)).map((task) => `${task.sourceRepository}:${task.tag}`).sort();
  }

  it('selects repositories with * inside a segment and ** across segments, minus excludes', async () => {
    expect(
      await planned(
        {
          repositories: ['library/*', 'team/**'],
          excludeRepositories: ['team/app/web'],
          tags: ['latest', 'v*'],
        },
        'a',
      ),
    ).toEqual([
      'library/nginx:latest',
      'library/redis:latest',
      'team/app/api:v1.0.0',
      'team/app/api:v1.1.0',
    ]);
  });

  it('selects tags with re: patterns and excludes', async () => {
    expect(
      await planned(
        {
          repositories: ['**'],
          tags: ['re:\\d+\\.\\d+(\\.\\d+)?', 'stable'],
          excludeTags: ['re:.*-(debug|rc\\d+)'],
        },
        'b',
      ),
    ).toEqual(['library/nginx:1.25', 'library/nginx:1.26', 'library/redis:7.2.4', 'tools:stable']);
  });

  it('uses {a,b} and ?, and takes repositories named exactly', async () => {
    expect(
      await planned({ repositories: ['library/{nginx,redis}'], tags: ['1.2?', '7.2.?'] }, 'c'),
    ).toEqual(['library/nginx:1.25', 'library/nginx:1.26', 'library/redis:7.2.4']);
    expect(await planned({ repositories: ['tools', 'team/app/web'], tags: ['*'] }, 'd')).toEqual([
      'team/app/web:v1.0.0',
      'tools:stable',
    ]);
    // What was planned is what arrived, under the namespace.
    expect(await destinationClient.listTags('d/tools')).toEqual(['stable']);
  });

  describe('override', () => {
    let foreign: string;
    beforeAll(async () => {
      // Someone pushed their own library/nginx:latest at the destination.
      const theirs = await new ImageBuilder(destinationClient).image('o/library/nginx', {
        tag: 'latest',
        layers: [{ seed: 'someone-else', size: 4 * KiB }],
      });
      foreign = theirs.descriptor.digest;
    });

    it('leaves a destination tag with another digest alone when override is off, and says why', async () => {
      const id = await addPolicy(t, {
        name: 'no-override',
        sourceRegistryId: sourceId,
        destinations: [{ registryId: destinationId, namespace: 'o' }],
        filters: { repositories: ['library/nginx'], tags: ['latest', '1.25'] },
      });
      const done = await runToSuccess(t, id);
      expect(done.counts).toMatchObject({ succeeded: 1, skipped: 1 });
      const skipped = await tasks(t, done.id, 'skipped');
      expect(skipped).toEqual([
        expect.objectContaining({
          tag: 'latest',
          reason: expect.stringContaining('override is off'),
        }),
      ]);
      expect((await destinationClient.headManifest('o/library/nginx', 'latest'))?.digest).toBe(
        foreign,
      );
    });

    it('replaces it when override is on', async () => {
      const id = await addPolicy(t, {
        name: 'with-override',
        sourceRegistryId: sourceId,
        destinations: [{ registryId: destinationId, namespace: 'o' }],
        filters: { repositories: ['library/nginx'], tags: ['latest'] },
        override: true,
      });
      const done = await runToSuccess(t, id);
      expect(done.counts).toMatchObject({ succeeded: 1 });
      const expected = (await sourceClient.headManifest('library/nginx', 'latest'))!.digest;
      expect((await destinationClient.headManifest('o/library/nginx', 'latest'))?.digest).toBe(
        expected,
      );
    });
  });

  it('ends an execution that matches nothing as an explicit success', async () => {
    const id = await addPolicy(t, {
      name: 'matches-nothing',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['nothing/here/**'] },
    });
    const done = await runToSuccess(t, id);
    expect(done.counts.total).toBe(0);
    expect(done.message).toMatch(/Nothing to replicate/);
  });
});
