import {
  MediaType,
  digestOf,
  generatorSource,
  type Descriptor,
  type Platform,
  type RegistryClient,
} from '../../src/oci/index.js';
import { seededBytes, seededDigest } from './seeded-bytes.js';

/** A manifest the builder pushed: its descriptor and the exact bytes. */
export interface PushedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  /** Config and layer (or artifact blob) descriptors it references. */
  blobs: Descriptor[];
}

export interface LayerSpec {
  size: number;
  /** Same seed and size = same layer (shared base layers across images). */
  seed: string;
}

export type ManifestFlavour = 'oci' | 'docker';

/** Media types no registry or client knows. */
export const UNKNOWN_ARTIFACT_TYPE = 'application/vnd.regrelay.test.unknown.v1';
export const UNKNOWN_CONFIG_TYPE = 'application/vnd.regrelay.test.unknown.config.v1+json';
export const UNKNOWN_LAYER_TYPE = 'application/vnd.regrelay.test.unknown.layer.v1.bin';

/**
 * Pushes synthetic images through the OCI client: random incompressible layers
 * (streamed, never in memory), single-platform manifests in OCI and Docker flavours,
 * multi-platform indexes, referrers (signature-like and SBOM-like artifacts with
 * `subject`), and an artifact of a media type nobody knows.
 */
export class ImageBuilder {
  constructor(private readonly client: RegistryClient) {}

  /** Pushes a seeded layer (hashing it in one pass, sending it in another). */
  async layer(
    repository: string,
    spec: LayerSpec,
    flavour: ManifestFlavour = 'oci',
  ): Promise<Descriptor> {
    const digest = await seededDigest(spec.seed, spec.size);
    const descriptor: Descriptor = {
      mediaType: flavour === 'oci' ? MediaType.OciLayerGzip : MediaType.DockerLayerGzip,
      digest,
      size: spec.size,
    };
    if (!(await this.client.headBlob(repository, digest))) {
      const source = generatorSource((offset) => seededBytes(spec.seed, spec.size, offset));
      await this.client.pushBlob(repository, descriptor, source);
    }
    return descriptor;
  }

  async config(
    repository: string,
    platform: Platform,
    flavour: ManifestFlavour,
    layers: Descriptor[],
    created?: string,
  ) {
    const config = {
      ...(created ? { created } : {}),
      architecture: platform.architecture,
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: { Labels: { 'org.regrelay.test': 'true' } },
    };
    const mediaType = flavour === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig;
    return this.client.pushBlobBytes(repository, Buffer.from(JSON.stringify(config)), mediaType);
  }

  /** A single-platform image. `tag` omitted: pushed by digest only. */
  async image(
    repository: string,
    options: {
      tag?: string;
      layers: LayerSpec[];
      flavour?: ManifestFlavour;
      platform?: Platform;
      annotations?: Record<string, string>;
      /** The config's `created` time (RFC 3339), as image builders write it. */
      created?: string;
    },
  ): Promise<PushedManifest> {
    const flavour = options.flavour ?? 'oci';
    const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
    const layers: Descriptor[] = [];
    for (const spec of options.layers) layers.push(await this.layer(repository, spec, flavour));
    const config = await this.config(repository, platform, flavour, layers, options.created);
    const mediaType = flavour === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest;
    const manifest: Record<string, unknown> = { schemaVersion: 2, mediaType, config, layers };
    if (options.annotations) manifest.annotations = options.annotations;
    const pushed = await this.pushManifest(repository, options.tag, manifest, mediaType);
    return { ...pushed, blobs: [config, ...layers] };
  }

  /** A multi-platform index over images pushed before (children first). */
  async index(
    repository: string,
    options: {
      tag?: string;
      manifests: { image: PushedManifest; platform: Platform }[];
      flavour?: ManifestFlavour;
    },
  ): Promise<PushedManifest> {
    const flavour = options.flavour ?? 'oci';
    const mediaType = flavour === 'oci' ? MediaType.OciIndex : MediaType.DockerManifestList;
    const manifests = options.manifests.map(({ image, platform }) => ({
      mediaType: image.descriptor.mediaType,
      digest: image.descriptor.digest,
      size: image.descriptor.size,
      platform,
    }));
    const pushed = await this.pushManifest(
      repository,
      options.tag,
      { schemaVersion: 2, mediaType, manifests },
      mediaType,
    );
    return { ...pushed, blobs: [] };
  }

  /**
   * An artifact referring to `subject` (image-spec 1.1: `artifactType`, empty config,
   * one blob). Kind `signature` looks like cosign's, `sbom` like an SPDX document.
   */
  async referrer(
    repository: string,
    subject: Descriptor,
    kind: 'signature' | 'sbom',
    options: { tag?: string } = {},
  ): Promise<PushedManifest> {
    const artifactType =
      kind === 'signature'
        ? 'application/vnd.dev.cosign.artifact.sig.v1+json'
        : 'application/spdx+json';
    const payload = Buffer.from(
      JSON.stringify(
        kind === 'signature'
          ? { critical: { image: { 'docker-manifest-digest': subject.digest } } }
          : { spdxVersion: 'SPDX-2.3', name: subject.digest },
      ),
    );
    const blob = await this.client.pushBlobBytes(repository, payload, artifactType);
    const config = await this.client.pushBlobBytes(
      repository,
      Buffer.from('{}'),
      MediaType.OciEmpty,
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config,
      layers: [blob],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    };
    const pushed = await this.pushManifest(
      repository,
      options.tag,
      manifest,
      MediaType.OciManifest,
    );
    pushed.descriptor.artifactType = artifactType;
    pushed.descriptor.annotations = manifest.annotations;
    if (!pushed.subjectIndexed) {
      await this.client.addTagSchemaReferrer(repository, subject.digest, pushed.descriptor);
    }
    return { descriptor: pushed.descriptor, bytes: pushed.bytes, blobs: [config, blob] };
  }

  /**
   * An artifact whose media types nobody knows (the Helm/Nydus pattern: an OCI
   * manifest with an unknown `artifactType`, config and layer types). distribution
   * 2.8.2 refuses unknown top-level manifest types (400 MANIFEST_INVALID), so those
   * are exercised against the scripted lying registry instead.
   */
  async unknownArtifact(
    repository: string,
    options: { tag?: string } = {},
  ): Promise<PushedManifest> {
    const config = await this.client.pushBlobBytes(
      repository,
      Buffer.from('{"unknown":true}'),
      UNKNOWN_CONFIG_TYPE,
    );
    const blob = await this.client.pushBlobBytes(
      repository,
      Buffer.from('opaque payload'),
      UNKNOWN_LAYER_TYPE,
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: UNKNOWN_ARTIFACT_TYPE,
      config,
      layers: [blob],
    };
    const pushed = await this.pushManifest(
      repository,
      options.tag,
      manifest,
      MediaType.OciManifest,
    );
    pushed.descriptor.artifactType = UNKNOWN_ARTIFACT_TYPE;
    return { descriptor: pushed.descriptor, bytes: pushed.bytes, blobs: [config, blob] };
  }

  private async pushManifest(
    repository: string,
    tag: string | undefined,
    manifest: object,
    mediaType: string,
  ) {
    // Indented on purpose: copies must keep exact bytes, not re-serialise to compact JSON.
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const digest = digestOf(bytes);
    const result = await this.client.putManifest(repository, tag ?? digest, bytes, mediaType);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.byteLength };
    return { descriptor, bytes, subjectIndexed: result.subjectIndexed };
  }
}
