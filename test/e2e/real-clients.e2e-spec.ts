import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MediaType } from '../../src/oci/index.js';
import { Buildah } from '../support/buildah.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, runToSuccess } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const REPOSITORY = 'clients/app';

interface Built {
  tag: string;
  digest: string;
  /** The manifest media type and layer media types buildah was asked for. */
  mediaType: string;
  layerType?: string;
}

/**
 * Images as a real client makes them: buildah builds and pushes Docker v2 schema 2,
 * OCI with gzip layers, OCI with zstd layers and a two-platform manifest list to the
 * source; regrelay replicates them over its REST API; buildah pulls them back from the
 * destination (into a store of its own) and skopeo reads the raw manifests there.
 */
describe('real clients: buildah images through regrelay', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let buildah: Buildah;
  const built: Built[] = [];

  beforeAll(async () => {
    buildah = await Buildah.start();
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    const at = (tag: string) => `${source.host}/${REPOSITORY}:${tag}`;

    await buildah.build('docker', { content: 'Docker v2 schema 2' });
    built.push({
      tag: 'docker-v2s2',
      digest: await buildah.push('docker', at('docker-v2s2'), { format: 'v2s2' }),
      mediaType: MediaType.DockerManifest,
      layerType: MediaType.DockerLayerGzip,
    });
    await buildah.build('ocigzip', { content: 'OCI, gzip layers' });
    built.push({
      tag: 'oci-gzip',
      digest: await buildah.push('ocigzip', at('oci-gzip'), { format: 'oci', compression: 'gzip' }),
      mediaType: MediaType.OciManifest,
      layerType: MediaType.OciLayerGzip,
    });
    await buildah.build('ocizstd', { content: 'OCI, zstd layers' });
    built.push({
      tag: 'oci-zstd',
      digest: await buildah.push('ocizstd', at('oci-zstd'), { format: 'oci', compression: 'zstd' }),
      mediaType: MediaType.OciManifest,
      layerType: 'application/vnd.oci.image.layer.v1.tar+zstd',
    });
    await buildah.build('amd64', { arch: 'amd64', content: 'for amd64' });
    await buildah.build('arm64', { arch: 'arm64', content: 'for arm64' });
    built.push({
      tag: 'multi',
      digest: await buildah.pushList('multi', ['amd64', 'arm64'], at('multi'), 'v2s2'),
      mediaType: MediaType.DockerManifestList,
    });

    const src = await addRegistry(t, 'source', source);
    const dst = await addRegistry(t, 'destination', destination);
    const policyId = await addPolicy(t, {
      name: 'real-clients',
      sourceRegistryId: src,
      destinations: [{ registryId: dst }],
      filters: { repositories: [REPOSITORY] },
    });
    await runToSuccess(t, policyId);
  });

  /** The raw manifest as an independent client reads it. */
  async function manifestAt(registry: TestRegistry, tag: string) {
    const { digest, bytes } = await skopeoRawDigest(registry.host, REPOSITORY, tag);
    const manifest = JSON.parse(bytes.toString()) as {
      mediaType: string;
      layers?: { mediaType: string }[];
      manifests?: { digest: string; platform: { os: string; architecture: string } }[];
    };
    return { digest, manifest };
  }

  afterAll(async () => {
    await t?.close();
    await Promise.all([source, destination].map((r) => r?.destroy()));
    await buildah?.destroy();
  });

  it('buildah pushed what each case names (checked at the source)', async () => {
    for (const image of built) {
      const { digest, manifest } = await manifestAt(source, image.tag);
      expect(digest).toBe(image.digest);
      expect(manifest.mediaType).toBe(image.mediaType);
      if (image.layerType)
        expect(manifest.layers?.map((l) => l.mediaType)).toEqual([image.layerType]);
    }
  });

  it('skopeo reads the same manifest digests at the destination', async () => {
    for (const image of built) {
      const { digest } = await skopeoRawDigest(destination.host, REPOSITORY, image.tag);
      expect({ tag: image.tag, digest }).toEqual({ tag: image.tag, digest: image.digest });
    }
  });

  it('buildah pulls every image back from the destination with the digest it pushed', async () => {
    const puller = await buildah.separateStore();
    for (const image of built.filter((b) => b.tag !== 'multi')) {
      const pulled = await puller.pull(`${destination.host}/${REPOSITORY}:${image.tag}`);
      expect({ tag: image.tag, digest: pulled.digest }).toEqual({
        tag: image.tag,
        digest: image.digest,
      });
    }
    const list = (await manifestAt(source, 'multi')).manifest.manifests ?? [];
    const platforms = list.map((m) => `${m.platform.os}/${m.platform.architecture}`);
    expect(platforms.sort()).toEqual(['linux/amd64', 'linux/arm64']);
    for (const entry of list) {
      const platform = `${entry.platform.os}/${entry.platform.architecture}`;
      const pulled = await puller.pull(`${destination.host}/${REPOSITORY}:multi`, platform);
      expect({ platform, digest: pulled.digest, architecture: pulled.architecture }).toEqual({
        platform,
        digest: entry.digest,
        architecture: entry.platform.architecture,
      });
    }
  });
});
