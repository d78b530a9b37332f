import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  InvalidReferenceError,
  MediaType,
  NotFoundError,
  RegistryClient,
  UnsupportedError,
  copyBlob,
  type RequestEvent,
} from '../../src/oci/index.js';
import { copyGraph } from '../support/copy-graph.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoRawDigest } from '../support/skopeo.js';

describe('round trip between two distribution registries', () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let src: RegistryClient;
  let dst: RegistryClient;
  const dstRequests: RequestEvent[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    src = new RegistryClient({
      name: 'a',
      url: a.url,
      chunkThresholdBytes: 200_000,
      chunkSizeBytes: 128_000,
    });
    dst = new RegistryClient({
      name: 'b',
      url: b.url,
      chunkThresholdBytes: 200_000,
      chunkSizeBytes: 128_000,
      observer: { onRequest: (e) => dstRequests.push(e) },
    });
  });

  afterAll(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  async function expectSameEverywhere(repo: string, reference: string, digest: string) {
    expect((await skopeoRawDigest(a.host, repo, reference)).digest).toBe(digest);
    expect((await skopeoRawDigest(b.host, repo, reference)).digest).toBe(digest);
    expect((await dst.headManifest(repo, reference))?.digest).toBe(digest);
  }

  it('copies a single-platform image (chunked and monolithic blobs) byte-exact', async () => {
    const image = await new ImageBuilder(src).image('app/single', {
      tag: 'v1',
      layers: [
        { seed: 'big', size: 700_001 }, // chunked: 6 PATCHes of 128 kB
        { seed: 'small', size: 5_000 }, // monolithic PUT
      ],
    });
    const copy = await copyGraph(src, 'app/single', dst, 'app/single', 'v1');
    expect(copy.digest).toBe(image.descriptor.digest);
    expect(copy.blobs.map((x) => x.result)).toEqual(['copied', 'copied', 'copied']);
    await expectSameEverywhere('app/single', 'v1', image.descriptor.digest);
    expect(dstRequests.filter((e) => e.method === 'PATCH').length).toBeGreaterThanOrEqual(6);

    const again = await copyGraph(src, 'app/single', dst, 'app/single', 'v1');
    expect(again.blobs.map((x) => x.result)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('copies a multi-platform index (Docker list and OCI index) with children first', async () => {
    const builder = new ImageBuilder(src);
    for (const flavour of ['oci', 'docker'] as const) {
      const repo = `multi/${flavour}`;
      const amd = await builder.image(repo, { flavour, layers: [{ seed: 'base', size: 50_000 }] });
      const arm = await builder.image(repo, {
        flavour,
        layers: [
          { seed: 'base', size: 50_000 },
          { seed: 'arm', size: 9_000 },
        ],
        platform: { architecture: 'arm64', os: 'linux' },
      });
      const index = await builder.index(repo, {
        tag: 'latest',
        flavour,
        manifests: [
          { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
          { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      });
      await copyGraph(src, repo, dst, repo, 'latest');
      await expectSameEverywhere(repo, 'latest', index.descriptor.digest);
      await expectSameEverywhere(repo, arm.descriptor.digest, arm.descriptor.digest);
      const read = await dst.getManifest(repo, 'latest');
      expect(read.descriptor.mediaType).toBe(
        flavour === 'oci' ? MediaType.OciIndex : MediaType.DockerManifestList,
      );
    }
  });

  it('copies artifacts with a subject and keeps them findable as referrers', async () => {
    const builder = new ImageBuilder(src);
    const subject = await builder.image('signed/app', {
      tag: 'v1',
      layers: [{ seed: 's', size: 2000 }],
    });
    const sig = await builder.referrer('signed/app', subject.descriptor, 'signature');
    const sbom = await builder.referrer('signed/app', subject.descriptor, 'sbom');
    await copyGraph(src, 'signed/app', dst, 'signed/app', 'v1', { referrers: true });
    const found = await dst.referrers('signed/app', subject.descriptor.digest);
    expect(found.via).toBe('tag-schema');
    expect(found.descriptors.map((d) => d.digest).sort()).toEqual(
      [sig.descriptor.digest, sbom.descriptor.digest].sort(),
    );
    expect(found.descriptors.find((d) => d.digest === sbom.descriptor.digest)?.artifactType).toBe(
      'application/spdx+json',
    );
    await expectSameEverywhere('signed/app', sig.descriptor.digest, sig.descriptor.digest);
  });

  /** A client of registry a of its own, whose requests `seen` records; closed after `use`. */
  async function withObserved(
    name: string,
    use: (client: RegistryClient, seen: RequestEvent[]) => Promise<void>,
  ): Promise<void> {
    const seen: RequestEvent[] = [];
    const client = new RegistryClient({
      name,
      url: a.url,
      observer: { onRequest: (e) => seen.push(e) },
    });
    try {
      await use(client, seen);
    } finally {
      await client.close();
    }
  }

  it('asks distribution for the referrers API once, then reads the tag schema directly', () =>
    withObserved('a-fresh', async (client, seen) => {
      const builder = new ImageBuilder(client);
      const subject = await builder.image('refcache/app', {
        tag: 'v1',
        layers: [{ seed: 'refcache', size: 100 }],
      });
      const sig = await builder.referrer('refcache/app', subject.descriptor, 'signature');
      for (const expected of [2, 1, 1]) {
        seen.length = 0;
        const found = await client.referrers('refcache/app', subject.descriptor.digest);
        expect(found.via).toBe('tag-schema');
        expect(found.descriptors.map((d) => d.digest)).toEqual([sig.descriptor.digest]);
        // The first time: the API (404) and the sha256-<hex> tag; then the tag alone.
        expect(seen.map((e) => `${e.method} ${e.status}`)).toHaveLength(expected);
      }
    }));

  it('asks about a tag conditionally: 304 when it names the digest expected, else as a plain HEAD', () =>
    withObserved('a-conditional', async (client, seen) => {
      const builder = new ImageBuilder(client);
      const v1 = await builder.image('conditional/app', {
        tag: 'v1',
        layers: [{ seed: 'conditional-1', size: 100 }],
      });
      const v2 = await builder.image('conditional/app', {
        tag: 'v2',
        layers: [{ seed: 'conditional-2', size: 100 }],
      });
      // The statuses of the HEADs since the last look.
      const heads = () =>
        seen
          .splice(0)
          .filter((e) => e.method === 'HEAD')
          .map((e) => e.status);
      seen.length = 0;
      // In step: distribution confirms it without describing it, and `known` stands.
      const known = { ...v1.descriptor, mediaType: 'application/x-as-the-caller-knew-it' };
      expect(await client.headManifest('conditional/app', 'v1', { known })).toEqual(known);
      expect(heads()).toEqual([304]);
      // Another digest there: the registry's own descriptor.
      expect(
        await client.headManifest('conditional/app', 'v2', { known: v1.descriptor }),
      ).toMatchObject({
        digest: v2.descriptor.digest,
        mediaType: v2.descriptor.mediaType,
        size: v2.descriptor.size,
      });
      expect(heads()).toEqual([200]);
      // No such tag: absent, as without the condition.
      expect(
        await client.headManifest('conditional/app', 'v3', { known: v1.descriptor }),
      ).toBeUndefined();
      expect(heads()).toEqual([404]);
    }));

  it('copies an artifact of unknown media types as opaque content', async () => {
    const unknown = await new ImageBuilder(src).unknownArtifact('artifacts/unknown', { tag: 'v1' });
    await copyGraph(src, 'artifacts/unknown', dst, 'artifacts/unknown', 'v1');
    await expectSameEverywhere('artifacts/unknown', 'v1', unknown.descriptor.digest);
  });

  it('mounts a blob across repositories of the same registry instead of copying it', async () => {
    const image = await new ImageBuilder(src).image('mount/from', {
      tag: 'v1',
      layers: [{ seed: 'm', size: 30_000 }],
    });
    const layer = image.blobs[1]!;
    const copied = await copyBlob(src, 'mount/from', dst, 'mount/from', layer);
    expect(copied.result).toBe('copied');
    const mounted = await copyBlob(src, 'mount/from', dst, 'mount/to', layer, {
      mountFrom: 'mount/from',
    });
    expect(mounted).toEqual({ result: 'mounted', bytes: 0 });
    const sameEndpoint = await copyBlob(dst, 'mount/from', dst, 'mount/third', layer);
    expect(sameEndpoint.result).toBe('mounted');
    expect(await dst.headBlob('mount/to', layer.digest)).toEqual({
      digest: layer.digest,
      size: layer.size,
    });
  });

  it('lists tags and the catalog page by page', async () => {
    const builder = new ImageBuilder(src);
    const image = await builder.image('paged/repo', {
      tag: 't0',
      layers: [{ seed: 'p', size: 100 }],
    });
    for (let i = 1; i < 7; i++) {
      await src.putManifest('paged/repo', `t${i}`, image.bytes, image.descriptor.mediaType);
    }
    const pages: string[][] = [];
    for await (const page of src.tagPages('paged/repo', { pageSize: 3 })) pages.push(page);
    expect(pages.flat().sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    const catalogPages: string[][] = [];
    for await (const page of src.catalogPages({ pageSize: 2 })) catalogPages.push(page);
    // 2.8.2 honours n for the catalog and links to the next page (relative Link).
    expect(catalogPages.length).toBeGreaterThan(1);
    expect(catalogPages.flat()).toContain('paged/repo');
    expect(await src.catalog()).toEqual(catalogPages.flat());
  });

  it('deletes by digest, reports tag delete as unsupported, and detects capabilities', async () => {
    const image = await new ImageBuilder(dst).image('del/repo', {
      tag: 'v1',
      layers: [{ seed: 'd', size: 100 }],
    });
    await expect(dst.deleteTag('del/repo', 'v1')).rejects.toBeInstanceOf(UnsupportedError);
    expect(await dst.capabilities('del/repo')).toEqual({
      referrersApi: false,
      tagDelete: false,
      catalog: true,
    });
    await dst.deleteManifest('del/repo', image.descriptor.digest);
    expect(await dst.headManifest('del/repo', 'v1')).toBeUndefined();
    await expect(dst.getManifest('del/repo', image.descriptor.digest)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('refuses invalid names before sending anything', async () => {
    const before = dstRequests.length;
    await expect(dst.getManifest('Bad/Name', 'v1')).rejects.toBeInstanceOf(InvalidReferenceError);
    await expect(dst.getManifest('ok/name', '../../etc')).rejects.toBeInstanceOf(
      InvalidReferenceError,
    );
    await expect(dst.headBlob('ok/name', 'sha256:abc')).rejects.toBeInstanceOf(
      InvalidReferenceError,
    );
    expect(dstRequests.length).toBe(before);
  });

  it('aborts an in-flight blob copy at once and leaves nothing committed', async () => {
    const slow = new RegistryClient({
      name: 'b-slow',
      url: b.url,
      limits: { bandwidthBytesPerSecond: 64 * 1024 },
    });
    try {
      const image = await new ImageBuilder(src).image('abort/src', {
        layers: [{ seed: 'abort', size: 400_000 }],
      });
      const layer = image.blobs[1]!;
      const controller = new AbortController();
      let sent = 0;
      const copying = copyBlob(src, 'abort/src', slow, 'abort/dst', layer, {
        signal: controller.signal,
        onProgress: (n) => (sent += n),
      });
      setTimeout(() => controller.abort(new Error('task stopped')), 300);
      await expect(copying).rejects.toThrow('task stopped');
      expect(sent).toBeLessThan(layer.size);
      expect(await slow.headBlob('abort/dst', layer.digest)).toBeUndefined();
    } finally {
      await slow.close();
    }
  });
});
