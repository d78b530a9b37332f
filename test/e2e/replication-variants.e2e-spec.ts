import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, children, type Descriptor } from '../../src/oci/index.js';
import type { DriftDto } from '../../src/replication/dto/drift.dto.js';
import type { PushedManifest } from '../support/image-builder.js';
import { Nydus, NydusImages } from '../support/nydus-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, json, runToSuccess, tasks } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const REPOSITORY = 'nydus/app';
const KiB = 1024;

interface IndexJson {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

/**
 * `filters.variants`: of an index nydusify published with the OCI image and its Nydus
 * conversion side by side (both marking styles), only the OCI or only the Nydus
 * entries reach the destination, as a new index whose digest the task reports and
 * skopeo reads there; the entries' manifests and blobs are the source's, byte for
 * byte, and the other variant's are not copied.
 */
describe('variants: only the OCI or only the Nydus entries of an index', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let src: RegistryClient, dst: RegistryClient;
  const indexes: Record<string, PushedManifest> = {};
  const policies: Record<'oci' | 'nydus', string> = { oci: '', nydus: '' };

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    src = new RegistryClient({ name: 'source', url: source.url });
    dst = new RegistryClient({ name: 'destination', url: destination.url });
    const nydus = new NydusImages(src);
    const layers = (seed: string) => [
      { seed: `${seed}-base`, size: 32 * KiB },
      { seed: `${seed}-app`, size: 16 * KiB },
    ];
    const v2 = await nydus.source(REPOSITORY, 'v2-oci', layers('variants-v2'));
    indexes.v2 = await nydus.mergedIndex(
      REPOSITORY,
      'v2',
      await nydus.withEmptyLayer(REPOSITORY, v2),
      await nydus.nydus(REPOSITORY, v2, { seed: 'variants-v2', merged: true }),
      'artifactType',
    );
    const v3 = await nydus.source(REPOSITORY, 'v3-oci', layers('variants-v3'));
    indexes.v3 = await nydus.mergedIndex(
      REPOSITORY,
      'v3',
      v3,
      await nydus.nydus(REPOSITORY, v3, { seed: 'variants-v3', merged: true }),
      'osFeatures',
    );

    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    const sourceId = await addRegistry(t, 'source', source);
    const destinationId = await addRegistry(t, 'destination', destination);
    for (const variant of ['oci', 'nydus'] as const) {
      policies[variant] = await addPolicy(t, {
        name: `only-${variant}`,
        sourceRegistryId: sourceId,
        destinations: [{ registryId: destinationId, namespace: variant }],
        filters: { repositories: [REPOSITORY], tags: ['v2', 'v3'], variants: variant },
        deletion: true,
      });
    }
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await Promise.all([source, destination].map((r) => r?.destroy()));
  });

  const isNydus = (d: Descriptor) =>
    d.artifactType === Nydus.ArtifactType ||
    (d.platform?.['os.features'] ?? []).includes(Nydus.OsFeature);

  /** The destination has the manifest with the source's exact bytes, and all its blobs. */
  async function expectCopied(repository: string, digest: string): Promise<void> {
    const [at, from] = await Promise.all([
      dst.getManifest(repository, digest),
      src.getManifest(REPOSITORY, digest),
    ]);
    expect(Buffer.from(at.bytes).equals(Buffer.from(from.bytes))).toBe(true);
    const graph = children(at.bytes, at.descriptor.mediaType);
    for (const blob of [graph.config!, ...graph.layers])
      expect((await dst.headBlob(repository, blob.digest))?.size).toBe(blob.size);
  }

  it.each(['oci', 'nydus'] as const)(
    'writes an index of the %s entries alone, reported by the task and read back by skopeo',
    async (variant) => {
      const done = await runToSuccess(t, policies[variant]);
      const byTag = new Map((await tasks(t, done.id)).map((task) => [task.tag, task]));
      const repository = `${variant}/${REPOSITORY}`;
      for (const tag of ['v2', 'v3']) {
        const sourceIndex = JSON.parse(indexes[tag]!.bytes.toString()) as IndexJson;
        const kept = sourceIndex.manifests.filter((m) => isNydus(m) === (variant === 'nydus'));
        const dropped = sourceIndex.manifests.filter((m) => isNydus(m) !== (variant === 'nydus'));
        expect([kept.length, dropped.length]).toEqual([1, 1]);

        const written = await dst.getManifest(repository, tag);
        const index = JSON.parse(written.bytes.toString('utf8')) as IndexJson;
        // The entries kept as the source lists them, every other field as it was.
        expect(index).toEqual({ ...sourceIndex, manifests: kept });
        const digest = `sha256:${createHash('sha256').update(written.bytes).digest('hex')}`;
        expect(digest).not.toBe(indexes[tag]!.descriptor.digest);
        expect((await skopeoRawDigest(destination.host, repository, tag)).digest).toBe(digest);
        expect(byTag.get(tag)).toMatchObject({
          status: 'succeeded',
          digest: indexes[tag]!.descriptor.digest,
          writtenDigest: digest,
        });

        await expectCopied(repository, kept[0]!.digest);
        await expect(dst.headManifest(repository, dropped[0]!.digest)).resolves.toBeUndefined();
        const droppedGraph = children(
          (await src.getManifest(REPOSITORY, dropped[0]!.digest)).bytes,
          dropped[0]!.mediaType,
        );
        const keptGraph = children(
          (await src.getManifest(REPOSITORY, kept[0]!.digest)).bytes,
          kept[0]!.mediaType,
        );
        const keptBlobs = new Set(keptGraph.layers.map((l) => l.digest));
        for (const layer of droppedGraph.layers.filter((l) => !keptBlobs.has(l.digest)))
          await expect(dst.headBlob(repository, layer.digest)).resolves.toBeUndefined();
      }
    },
  );

  it('finds the narrowed indexes in step on the next run and in a reconcile', async () => {
    for (const variant of ['oci', 'nydus'] as const) {
      const again = await runToSuccess(t, policies[variant]);
      expect(again.counts).toMatchObject({ total: 2, skipped: 2, succeeded: 0 });
      const drift = await json<DriftDto>(
        await t.api(`/api/v1/policies/${policies[variant]}/drift`, { method: 'POST' }),
      );
      expect(drift.destinations.map((d) => d.inSync)).toEqual([true]);
    }
  });

  it('deletes a narrowed index when its tag leaves the source (the ledger holds its own digest)', async () => {
    await src.deleteManifest(REPOSITORY, indexes.v3!.descriptor.digest);
    const done = await runToSuccess(t, policies.oci);
    const deletes = (await tasks(t, done.id)).filter((task) => task.operation === 'delete');
    expect(deletes.map((d) => [d.tag, d.status])).toEqual([['v3', 'succeeded']]);
    await expect(dst.headManifest(`oci/${REPOSITORY}`, 'v3')).resolves.toBeUndefined();
    expect(await dst.headManifest(`oci/${REPOSITORY}`, 'v2')).toBeDefined();
  });

  it('refuses a variants value that is not one, naming the field', async () => {
    const res = await t.api(`/api/v1/policies/${policies.oci}`, {
      method: 'PATCH',
      json: { filters: { variants: 'estargz' } },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe(
      'filters.variants',
    );
  });
});
