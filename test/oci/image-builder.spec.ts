import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MediaType, RegistryClient, children } from '../../src/oci/index.js';
import {
  ImageBuilder,
  UNKNOWN_ARTIFACT_TYPE,
  UNKNOWN_LAYER_TYPE,
} from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { seededBytes, seededDigest } from '../support/seeded-bytes.js';
import { skopeoRawDigest } from '../support/skopeo.js';

describe('image builder (checked with skopeo)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let builder: ImageBuilder;

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ name: 'builder', url: registry.url });
    builder = new ImageBuilder(client);
  });

  afterAll(async () => {
    await client?.close();
    await registry?.destroy();
  });

  it('produces the same bytes from any offset (so a blob can be reopened mid-way)', async () => {
    const whole: Buffer[] = [];
    for await (const c of seededBytes('s', 100_000, 0, 4096)) whole.push(Buffer.from(c));
    const tail: Buffer[] = [];
    for await (const c of seededBytes('s', 100_000, 12_345, 4096)) tail.push(Buffer.from(c));
    expect(Buffer.concat(tail).equals(Buffer.concat(whole).subarray(12_345))).toBe(true);
  });

  it('pushes OCI and Docker single-platform images whose digests skopeo confirms', async () => {
    const oci = await builder.image('builder/oci', {
      tag: 'v1',
      layers: [
        { seed: 'base', size: 300_000 },
        { seed: 'app', size: 70_000 },
      ],
    });
    const docker = await builder.image('builder/docker', {
      tag: 'v1',
      flavour: 'docker',
      layers: [{ seed: 'base', size: 300_000 }],
    });
    expect(oci.descriptor.mediaType).toBe(MediaType.OciManifest);
    expect(docker.descriptor.mediaType).toBe(MediaType.DockerManifest);
    expect((await skopeoRawDigest(registry.host, 'builder/oci', 'v1')).digest).toBe(
      oci.descriptor.digest,
    );
    expect((await skopeoRawDigest(registry.host, 'builder/docker', 'v1')).digest).toBe(
      docker.descriptor.digest,
    );
    // Shared base layer: same descriptor in both images.
    expect(oci.blobs[1]!.digest).toBe(docker.blobs[1]!.digest);
    expect(oci.blobs[1]!.digest).toBe(await seededDigest('base', 300_000));
    expect(await client.headBlob('builder/oci', oci.blobs[2]!.digest)).toEqual({
      digest: oci.blobs[2]!.digest,
      size: 70_000,
    });
  });

  it('pushes a multi-platform index and its children', async () => {
    const amd = await builder.image('builder/multi', { layers: [{ seed: 'amd', size: 10_000 }] });
    const arm = await builder.image('builder/multi', {
      layers: [{ seed: 'arm', size: 10_000 }],
      platform: { architecture: 'arm64', os: 'linux' },
    });
    const index = await builder.index('builder/multi', {
      tag: 'latest',
      manifests: [
        { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
        { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    const raw = await skopeoRawDigest(registry.host, 'builder/multi', 'latest');
    expect(raw.digest).toBe(index.descriptor.digest);
    expect(children(raw.bytes, MediaType.OciIndex).manifests.map((m) => m.digest)).toEqual([
      amd.descriptor.digest,
      arm.descriptor.digest,
    ]);
    expect(
      (await skopeoRawDigest(registry.host, 'builder/multi', arm.descriptor.digest)).digest,
    ).toBe(arm.descriptor.digest);
  });

  it('pushes signature and SBOM referrers findable through the tag schema', async () => {
    const subject = await builder.image('builder/signed', {
      tag: 'v1',
      layers: [{ seed: 'x', size: 1000 }],
    });
    const sig = await builder.referrer('builder/signed', subject.descriptor, 'signature');
    const sbom = await builder.referrer('builder/signed', subject.descriptor, 'sbom');
    const found = await client.referrers('builder/signed', subject.descriptor.digest);
    expect(found.via).toBe('tag-schema');
    expect(found.descriptors.map((d) => d.digest).sort()).toEqual(
      [sig.descriptor.digest, sbom.descriptor.digest].sort(),
    );
    expect(
      (await skopeoRawDigest(registry.host, 'builder/signed', sig.descriptor.digest)).digest,
    ).toBe(sig.descriptor.digest);
    const sbomOnly = await client.referrers('builder/signed', subject.descriptor.digest, {
      artifactType: 'application/spdx+json',
    });
    expect(sbomOnly.descriptors.map((d) => d.digest)).toEqual([sbom.descriptor.digest]);
  });

  it('pushes an artifact of an unknown media type as opaque bytes', async () => {
    const unknown = await builder.unknownArtifact('builder/unknown', { tag: 'v1' });
    const read = await client.getManifest('builder/unknown', 'v1');
    expect(read.descriptor).toEqual({
      mediaType: MediaType.OciManifest,
      digest: unknown.descriptor.digest,
      size: unknown.bytes.byteLength,
    });
    const refs = children(read.bytes, read.descriptor.mediaType);
    expect(refs.layers[0]!.mediaType).toBe(UNKNOWN_LAYER_TYPE);
    expect(unknown.descriptor.artifactType).toBe(UNKNOWN_ARTIFACT_TYPE);
    expect(read.bytes.equals(unknown.bytes)).toBe(true);
    expect((await skopeoRawDigest(registry.host, 'builder/unknown', 'v1')).digest).toBe(
      unknown.descriptor.digest,
    );
  });
});
