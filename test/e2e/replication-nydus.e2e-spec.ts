import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, children, type Descriptor } from '../../src/oci/index.js';
import type { PushedManifest } from '../support/image-builder.js';
import {
  EMPTY_TAR_DIFF_ID,
  Nydus,
  NydusImages,
  type SourceImage,
} from '../support/nydus-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, runToSuccess } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const REPOSITORY = 'nydus/app';
const KiB = 1024;

/**
 * Nydus images in each form nydusify publishes them, replicated by a policy and read
 * back at the destination manifest by manifest and blob by blob: every digest and
 * every byte as at the source, and the bootstrap still matching its diff_id (the check
 * `nydusify check` makes).
 */
describe('Nydus (RAFS) images replicate byte-exact', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let src: RegistryClient, dst: RegistryClient;
  const tags: Record<string, PushedManifest> = {};
  let referred: { source: SourceImage; nydus: PushedManifest };

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    src = new RegistryClient({ name: 'source', url: source.url });
    dst = new RegistryClient({ name: 'destination', url: destination.url });
    const nydus = new NydusImages(src);
    const layers = (seed: string) => [
      { seed: `${seed}-base`, size: 48 * KiB },
      { seed: `${seed}-app`, size: 24 * KiB },
    ];

    // --with-referrer: the Nydus manifest under its own tag, `subject` = the OCI image.
    const v1 = await nydus.source(REPOSITORY, 'v1', layers('v1'));
    const v1Nydus = await nydus.nydus(REPOSITORY, v1, {
      tag: 'v1-nydus',
      seed: 'v1',
      withReferrer: true,
    });
    referred = { source: v1, nydus: v1Nydus };
    // nydusify pushes through containerd, which writes no referrers index on a registry
    // without the referrers API; a registry with one lists it by its subject. The tag
    // schema stands in for that here, so the referrer path of the copy is taken too.
    await src.addTagSchemaReferrer(REPOSITORY, v1.descriptor.digest, {
      ...v1Nydus.descriptor,
      artifactType: 'application/vnd.oci.image.config.v1+json',
    });
    tags.v1 = v1;
    tags['v1-nydus'] = v1Nydus;

    // --merge-platform, nydusify ≥ 2.3.5: an index with the Nydus entry's artifactType.
    const v2 = await nydus.source(REPOSITORY, 'v2-oci', layers('v2'));
    tags['v2-oci'] = v2;
    tags.v2 = await nydus.mergedIndex(
      REPOSITORY,
      'v2',
      await nydus.withEmptyLayer(REPOSITORY, v2),
      await nydus.nydus(REPOSITORY, v2, { seed: 'v2', merged: true }),
      'artifactType',
    );

    // --merge-platform before 2.3.5: the Nydus entry marked by platform.os.features.
    const v3 = await nydus.source(REPOSITORY, 'v3-oci', layers('v3'));
    tags['v3-oci'] = v3;
    tags.v3 = await nydus.mergedIndex(
      REPOSITORY,
      'v3',
      v3,
      await nydus.nydus(REPOSITORY, v3, { seed: 'v3', merged: true }),
      'osFeatures',
    );

    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    const policyId = await addPolicy(t, {
      name: 'nydus',
      sourceRegistryId: await addRegistry(t, 'source', source),
      destinations: [{ registryId: await addRegistry(t, 'destination', destination) }],
      filters: { repositories: [REPOSITORY] },
    });
    await runToSuccess(t, policyId);
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await Promise.all([source, destination].map((r) => r?.destroy()));
  });

  /** Every manifest and blob under `digest` at the destination, compared with the source. */
  async function expectSameGraph(digest: string, seen = new Set<string>()): Promise<string[]> {
    if (seen.has(digest)) return [];
    seen.add(digest);
    const [at, from] = await Promise.all([
      dst.getManifest(REPOSITORY, digest),
      src.getManifest(REPOSITORY, digest),
    ]);
    expect(Buffer.from(at.bytes).equals(Buffer.from(from.bytes))).toBe(true);
    expect(at.descriptor.digest).toBe(digest);
    const graph = children(at.bytes, at.descriptor.mediaType);
    const checked = [digest];
    for (const blob of [...(graph.config ? [graph.config] : []), ...graph.layers]) {
      const found = await dst.headBlob(REPOSITORY, blob.digest);
      expect({ digest: blob.digest, size: found?.size }).toEqual({
        digest: blob.digest,
        size: blob.size,
      });
      checked.push(blob.digest);
    }
    for (const child of graph.manifests)
      checked.push(...(await expectSameGraph(child.digest, seen)));
    if (graph.subject) checked.push(...(await expectSameGraph(graph.subject.digest, seen)));
    return checked;
  }

  async function readBlob(digest: string): Promise<Buffer> {
    const stream = await dst.getBlob(REPOSITORY, digest);
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream.body) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** What `nydusify check` asserts of a Nydus manifest, read from the destination. */
  async function expectNydusManifest(digest: string, configMediaType: string): Promise<void> {
    const manifest = JSON.parse(
      Buffer.from((await dst.getManifest(REPOSITORY, digest)).bytes).toString(),
    ) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    expect(manifest.config.mediaType).toBe(configMediaType);
    const bootstrap = manifest.layers.at(-1)!;
    expect(bootstrap.annotations).toEqual({
      [Nydus.FsVersionAnnotation]: '6',
      [Nydus.BootstrapAnnotation]: 'true',
    });
    for (const blob of manifest.layers.slice(0, -1)) {
      expect(blob.mediaType).toBe(Nydus.BlobMediaType);
      expect(blob.annotations).toEqual({ [Nydus.BlobAnnotation]: 'true' });
    }
    const config = JSON.parse((await readBlob(manifest.config.digest)).toString()) as {
      rootfs: { diff_ids: string[] };
    };
    const tar = gunzipSync(await readBlob(bootstrap.digest));
    expect(`sha256:${createHash('sha256').update(tar).digest('hex')}`).toBe(
      config.rootfs.diff_ids.at(-1),
    );
    expect(tar.subarray(0, Nydus.BootstrapFile.length).toString()).toBe(Nydus.BootstrapFile);
  }

  it('every tag has the digest it has at the source, read by skopeo', async () => {
    for (const [tag, pushed] of Object.entries(tags)) {
      const { digest } = await skopeoRawDigest(destination.host, REPOSITORY, tag);
      expect({ tag, digest }).toEqual({ tag, digest: pushed.descriptor.digest });
    }
  });

  it('an index with an artifactType-marked Nydus entry: every manifest and blob byte-exact', async () => {
    const checked = await expectSameGraph(tags.v2!.descriptor.digest);
    // index, 2 manifests, 2 configs, OCI: empty + 2 layers, Nydus: 2 blobs + bootstrap.
    expect(new Set(checked).size).toBe(11);
    const index = JSON.parse(tags.v2!.bytes.toString()) as { manifests: Descriptor[] };
    const [oci, nydus] = index.manifests as [Descriptor, Descriptor];
    expect(nydus.artifactType).toBe(Nydus.ArtifactType);
    await expectNydusManifest(nydus.digest, Nydus.ConfigMediaType);
    const ociManifest = JSON.parse(
      Buffer.from((await dst.getManifest(REPOSITORY, oci.digest)).bytes).toString(),
    ) as { layers: Descriptor[]; annotations: Record<string, string>; config: Descriptor };
    expect(ociManifest.annotations[Nydus.SourceDigestAnnotation]).toBe(
      tags['v2-oci']!.descriptor.digest,
    );
    const ociConfig = JSON.parse((await readBlob(ociManifest.config.digest)).toString()) as {
      rootfs: { diff_ids: string[] };
    };
    expect(ociConfig.rootfs.diff_ids[0]).toBe(EMPTY_TAR_DIFF_ID);
    expect(
      `sha256:${createHash('sha256')
        .update(gunzipSync(await readBlob(ociManifest.layers[0]!.digest)))
        .digest('hex')}`,
    ).toBe(EMPTY_TAR_DIFF_ID);
  });

  it('an index with an os.features-marked Nydus entry: every manifest and blob byte-exact', async () => {
    const checked = await expectSameGraph(tags.v3!.descriptor.digest);
    expect(new Set(checked).size).toBe(10);
    const index = JSON.parse(tags.v3!.bytes.toString()) as { manifests: Descriptor[] };
    const nydus = index.manifests[1]!;
    expect(nydus.platform?.['os.features']).toEqual([Nydus.OsFeature]);
    expect(nydus.artifactType).toBeUndefined();
    await expectNydusManifest(nydus.digest, Nydus.ConfigMediaType);
  });

  it('a Nydus manifest with `subject` on the OCI image: it, its subject and their blobs byte-exact', async () => {
    const checked = await expectSameGraph(referred.nydus.descriptor.digest);
    // Nydus manifest, config, 2 blobs, bootstrap; subject manifest, config, 2 layers.
    expect(new Set(checked).size).toBe(9);
    const manifest = JSON.parse(referred.nydus.bytes.toString()) as { subject: Descriptor };
    expect(manifest.subject).toEqual({
      mediaType: referred.source.descriptor.mediaType,
      digest: referred.source.descriptor.digest,
      size: referred.source.descriptor.size,
    });
    await expectNydusManifest(
      referred.nydus.descriptor.digest,
      'application/vnd.oci.image.config.v1+json',
    );
    // At the destination the Nydus image is found as a referrer of its subject, too.
    const referrers = await dst.referrers(REPOSITORY, referred.source.descriptor.digest);
    expect(referrers.descriptors.map((d) => d.digest)).toEqual([referred.nydus.descriptor.digest]);
  });
});
