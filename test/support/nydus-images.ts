import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MediaType, digestOf, type Descriptor, type RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type LayerSpec, type PushedManifest } from './image-builder.js';
import { seededBytes } from './seeded-bytes.js';

/**
 * Nydus (RAFS) images shaped as nydusify writes them. The field names, media types,
 * annotations and layouts come from nydus' `contrib/nydusify` (utils/constant.go,
 * examples/manifest/*.json, docs/nydus-design.md), containerd/nydus-snapshotter's
 * `pkg/converter` (MergeLayers and the convert hook: blob and bootstrap descriptors,
 * rewritten diff_ids, the history entry, `subject` with --with-referrer) and
 * goharbor/acceleration-service's nydus driver (makeManifestIndex, PrependEmptyLayer
 * for --merge-platform). JSON is indented by two spaces, as Go's json.MarshalIndent
 * there writes it, with the fields in the Go structs' order.
 */
export const Nydus = {
  BlobMediaType: 'application/vnd.oci.image.layer.nydus.blob.v1',
  /** The config media type of a Nydus manifest merged into an index with its OCI original. */
  ConfigMediaType: 'application/vnd.nydus.image.config.v1+json',
  /** The index entry's artifactType for a Nydus manifest (nydusify ≥ 2.3.5 with --merge-platform). */
  ArtifactType: 'application/vnd.nydus.image.manifest.v1+json',
  /** The index entry's platform feature for a Nydus manifest (nydusify before 2.3.5). */
  OsFeature: 'nydus.remoteimage.v1',
  BlobAnnotation: 'containerd.io/snapshot/nydus-blob',
  BootstrapAnnotation: 'containerd.io/snapshot/nydus-bootstrap',
  FsVersionAnnotation: 'containerd.io/snapshot/nydus-fs-version',
  SourceDigestAnnotation: 'containerd.io/snapshot/nydus-source-digest',
  EmptyLayerAnnotation: 'containerd.io/snapshot/nydus-empty-layer',
  BootstrapFile: 'image/image.boot',
} as const;

/** sha256 of an empty tar (1024 NUL bytes): the diff_id of the layer PrependEmptyLayer adds. */
export const EMPTY_TAR_DIFF_ID =
  'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

const PLATFORM = { architecture: 'amd64', os: 'linux' } as const;

interface ImageConfig {
  architecture: string;
  os: string;
  config: { Env: string[] };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: { created_by: string; comment?: string; empty_layer?: boolean }[];
}

/** An OCI image as a conversion starts from it, with its config kept for rewriting. */
export interface SourceImage extends PushedManifest {
  config: ImageConfig;
  layers: Descriptor[];
}

export class NydusImages {
  private readonly builder: ImageBuilder;

  constructor(private readonly client: RegistryClient) {
    this.builder = new ImageBuilder(client);
  }

  /** The OCI image a conversion starts from. */
  async source(repository: string, tag: string, layers: LayerSpec[]): Promise<SourceImage> {
    const descriptors: Descriptor[] = [];
    for (const spec of layers) descriptors.push(await this.builder.layer(repository, spec));
    const config: ImageConfig = {
      architecture: PLATFORM.architecture,
      os: PLATFORM.os,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.digest) },
      history: descriptors.map((_, i) => ({ created_by: `RUN step ${i + 1}` })),
    };
    const pushed = await this.push(repository, tag, config, MediaType.OciConfig, descriptors);
    return { ...pushed, config, layers: descriptors };
  }

  /**
   * The Nydus manifest nydusify writes for `source`: one nydus blob per source layer
   * (`containerd.io/snapshot/nydus-blob`), then the bootstrap, a gzipped tar holding
   * image/image.boot (`nydus-bootstrap`, `nydus-fs-version: 6`); the config's diff_ids
   * become the blobs' digests and the bootstrap's uncompressed digest, with a
   * "Nydus Bootstrap Layer" history entry. `merged`: the config gets the Nydus config
   * media type (--merge-platform). `withReferrer`: `subject` points at the source
   * manifest (--with-referrer), its platform left out.
   */
  async nydus(
    repository: string,
    source: SourceImage,
    options: { tag?: string; seed: string; merged?: boolean; withReferrer?: boolean },
  ): Promise<PushedManifest> {
    const blobs: Descriptor[] = [];
    for (const [i, layer] of source.layers.entries()) {
      const blob = await this.builder.layer(repository, {
        seed: `${options.seed}-blob-${i}`,
        size: Math.max(512, Math.floor(layer.size / 2)),
      });
      blobs.push({
        mediaType: Nydus.BlobMediaType,
        digest: blob.digest,
        size: blob.size,
        annotations: { [Nydus.BlobAnnotation]: 'true' },
      });
    }
    const { tarGz, diffId } = await bootstrapLayer(`${options.seed}-bootstrap`);
    const bootstrap = await this.client.pushBlobBytes(repository, tarGz, MediaType.OciLayerGzip);
    const layers = [
      ...blobs,
      {
        ...bootstrap,
        annotations: { [Nydus.FsVersionAnnotation]: '6', [Nydus.BootstrapAnnotation]: 'true' },
      },
    ];
    const config: ImageConfig = {
      ...source.config,
      rootfs: { type: 'layers', diff_ids: [...blobs.map((b) => b.digest), diffId] },
      history: [
        ...source.config.history,
        { created_by: 'Nydus Converter', comment: 'Nydus Bootstrap Layer' },
      ],
    };
    const subject = options.withReferrer
      ? {
          mediaType: source.descriptor.mediaType,
          digest: source.descriptor.digest,
          size: source.descriptor.size,
        }
      : undefined;
    return this.push(
      repository,
      options.tag,
      config,
      options.merged ? Nydus.ConfigMediaType : MediaType.OciConfig,
      layers,
      { subject },
    );
  }

  /**
   * The OCI side of a --merge-platform index: the source with an empty gzip layer put
   * first (so runtimes cannot share layers between it and the stock image), its
   * diff_id and history entry added, and `nydus-source-digest` naming the source.
   */
  async withEmptyLayer(repository: string, source: SourceImage): Promise<PushedManifest> {
    const empty = await this.client.pushBlobBytes(
      repository,
      gzipSync(Buffer.alloc(1024)),
      MediaType.OciLayerGzip,
    );
    const layers = [
      { ...empty, annotations: { [Nydus.EmptyLayerAnnotation]: 'true' } },
      ...source.layers,
    ];
    const config: ImageConfig = {
      ...source.config,
      rootfs: { type: 'layers', diff_ids: [EMPTY_TAR_DIFF_ID, ...source.config.rootfs.diff_ids] },
      history: [
        { created_by: 'Nydus Converter', comment: 'Nydus Empty Layer' },
        ...source.config.history,
      ],
    };
    return this.push(repository, undefined, config, MediaType.OciConfig, layers, {
      annotations: { [Nydus.SourceDigestAnnotation]: source.descriptor.digest },
    });
  }

  /**
   * An OCI index of an OCI image and its Nydus image for the same platform, as
   * --merge-platform publishes it: `style: 'artifactType'` marks the Nydus entry with
   * `artifactType` (nydusify ≥ 2.3.5), `style: 'osFeatures'` with
   * `platform.os.features: ["nydus.remoteimage.v1"]` (before).
   */
  async mergedIndex(
    repository: string,
    tag: string,
    oci: PushedManifest,
    nydus: PushedManifest,
    style: 'artifactType' | 'osFeatures',
  ): Promise<PushedManifest> {
    const ociEntry: Descriptor = {
      mediaType: oci.descriptor.mediaType,
      digest: oci.descriptor.digest,
      size: oci.descriptor.size,
      platform: { ...PLATFORM },
    };
    const nydusEntry: Descriptor =
      style === 'artifactType'
        ? {
            mediaType: nydus.descriptor.mediaType,
            digest: nydus.descriptor.digest,
            size: nydus.descriptor.size,
            platform: { ...PLATFORM },
            artifactType: Nydus.ArtifactType,
          }
        : {
            mediaType: nydus.descriptor.mediaType,
            digest: nydus.descriptor.digest,
            size: nydus.descriptor.size,
            platform: { ...PLATFORM, 'os.features': [Nydus.OsFeature] },
          };
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [ociEntry, nydusEntry],
    };
    return this.putJson(repository, tag, index, MediaType.OciIndex, []);
  }

  private async push(
    repository: string,
    tag: string | undefined,
    config: ImageConfig,
    configMediaType: string,
    layers: Descriptor[],
    extra: { subject?: Descriptor; annotations?: Record<string, string> } = {},
  ): Promise<PushedManifest> {
    const configDescriptor = await this.client.pushBlobBytes(
      repository,
      Buffer.from(JSON.stringify(config)),
      configMediaType,
    );
    const manifest: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDescriptor,
      layers,
    };
    if (extra.subject) manifest.subject = extra.subject;
    if (extra.annotations) manifest.annotations = extra.annotations;
    return this.putJson(repository, tag, manifest, MediaType.OciManifest, [
      configDescriptor,
      ...layers,
    ]);
  }

  private async putJson(
    repository: string,
    tag: string | undefined,
    body: object,
    mediaType: string,
    blobs: Descriptor[],
  ): Promise<PushedManifest> {
    const bytes = Buffer.from(JSON.stringify(body, null, 2));
    const digest = digestOf(bytes);
    await this.client.putManifest(repository, tag ?? digest, bytes, mediaType);
    return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes, blobs };
  }
}

/** A bootstrap layer: a gzipped ustar archive holding image/image.boot. */
async function bootstrapLayer(seed: string): Promise<{ tarGz: Buffer; diffId: string }> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of seededBytes(seed, 8192)) chunks.push(chunk);
  const tar = ustar(Nydus.BootstrapFile, Buffer.concat(chunks));
  return {
    tarGz: gzipSync(tar),
    diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
  };
}

/** One regular file in a POSIX ustar archive, with the two closing zero blocks. */
export function ustar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, 'ascii');
  const octal = (value: number, length: number) =>
    value.toString(8).padStart(length - 1, '0') + '\0';
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, ' '.repeat(8)); // counted as spaces while summing
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
