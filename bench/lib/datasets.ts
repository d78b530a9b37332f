import { forEachConcurrent, mapConcurrent } from '../../src/common/async-pool.js';
import { MediaType, RegistryClient } from '../../src/oci/index.js';
import {
  ImageBuilder,
  type LayerSpec,
  type PushedManifest,
} from '../../test/support/image-builder.js';
import type { TestRegistry } from '../../test/support/registry.js';

export interface ImageSpec {
  repository: string;
  tag: string;
  layers: LayerSpec[];
}

export interface BuiltImage extends ImageSpec {
  manifest: PushedManifest;
}

/** Images pushed to a source registry, with what a copy must move. */
export interface Dataset {
  images: BuiltImage[];
  repositories: string[];
  /** Distinct bytes: every blob once per repository, plus the manifests. */
  bytes: number;
}

/** `count` incompressible layers of `size` bytes, seeded `${seed}:0`, `${seed}:1`… */
export function seededLayers(seed: string, count: number, size: number): LayerSpec[] {
  return Array.from({ length: count }, (_, l) => ({ seed: `${seed}:${l}`, size }));
}

/**
 * `repositories` × `tagsPerRepository` single-platform images, each with `layers`
 * incompressible layers of `layerSize` bytes that no other image shares.
 */
export function distinctImages(o: {
  prefix: string;
  repositories: number;
  tagsPerRepository: number;
  layers: number;
  layerSize: number;
}): ImageSpec[] {
  const specs: ImageSpec[] = [];
  for (let r = 0; r < o.repositories; r++) {
    for (let t = 0; t < o.tagsPerRepository; t++) {
      const repository = `${o.prefix}/r${r}`;
      const tag = `v${t}`;
      specs.push({
        repository,
        tag,
        layers: seededLayers(`${repository}:${tag}`, o.layers, o.layerSize),
      });
    }
  }
  return specs;
}

/** Pushes images with the test image builder, `concurrency` images at a time. */
export async function pushImages(
  registry: TestRegistry,
  specs: ImageSpec[],
  concurrency = 8,
): Promise<Dataset> {
  const client = new RegistryClient({ name: 'bench-builder', url: registry.url });
  try {
    const builder = new ImageBuilder(client);
    const images = await mapConcurrent(specs, concurrency, async (spec) => ({
      ...spec,
      manifest: await builder.image(spec.repository, { tag: spec.tag, layers: spec.layers }),
    }));
    const blobs = new Map<string, number>();
    for (const image of images) {
      for (const blob of image.manifest.blobs)
        blobs.set(`${image.repository}@${blob.digest}`, blob.size);
    }
    const bytes =
      [...blobs.values()].reduce((a, b) => a + b, 0) +
      images.reduce((sum, image) => sum + image.manifest.bytes.byteLength, 0);
    const repositories = [...new Set(images.map((i) => i.repository))];
    return { images, repositories, bytes };
  } finally {
    await client.close();
  }
}

/**
 * Many tags for a planning benchmark: in each repository one small layer and config,
 * and `tagsPerRepository` distinct manifests over them (an annotation makes each
 * digest unique). The same bytes go to every registry given, so a policy between
 * them has nothing to copy: what it costs is planning alone.
 */
export async function pushIdenticalTagSets(
  registries: TestRegistry[],
  o: { prefix: string; repositories: number; tagsPerRepository: number },
): Promise<void> {
  const clients = registries.map(
    (r, i) => new RegistryClient({ name: `bench-plan-${i}`, url: r.url }),
  );
  try {
    for (let r = 0; r < o.repositories; r++) {
      const repository = `${o.prefix}/r${r}`;
      const layerBytes = Buffer.from(`planning layer ${repository}`);
      const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
      const [layer, config] = await Promise.all([
        Promise.all(
          clients.map((c) => c.pushBlobBytes(repository, layerBytes, MediaType.OciLayerGzip)),
        ),
        Promise.all(
          clients.map((c) => c.pushBlobBytes(repository, configBytes, MediaType.OciConfig)),
        ),
      ]);
      const tags = Array.from({ length: o.tagsPerRepository }, (_, t) => `t${t}`);
      await forEachConcurrent(tags, 16, async (tag) => {
        const bytes = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MediaType.OciManifest,
            config: config[0],
            layers: [layer[0]],
            annotations: { 'org.regrelay.bench.tag': `${repository}:${tag}` },
          }),
        );
        await Promise.all(
          clients.map((c) => c.putManifest(repository, tag, bytes, MediaType.OciManifest)),
        );
      });
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/**
 * Checks that `destination` holds every image of the data set at the same digest:
 * a run that moved the wrong bytes, or not
 * all of them, must not count as fast.
 */
export async function verifyCopy(destination: TestRegistry, dataset: Dataset): Promise<void> {
  const client = new RegistryClient({ name: 'bench-verify', url: destination.url });
  try {
    const wrong: string[] = [];
    await forEachConcurrent(dataset.images, 16, async (image) => {
      const head = await client.headManifest(image.repository, image.tag);
      if (head?.digest !== image.manifest.descriptor.digest)
        wrong.push(`${image.repository}:${image.tag} is ${head?.digest ?? 'missing'}`);
    });
    if (wrong.length)
      throw new Error(
        `${destination.host}: ${wrong.length} tags wrong, e.g. ${wrong.slice(0, 3).join('; ')}`,
      );
  } finally {
    await client.close();
  }
}
