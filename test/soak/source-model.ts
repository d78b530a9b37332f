import type { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import type { Random } from './random.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export type SourceOperation = 'push' | 'retag' | 'delete';

/**
 * What the source registry holds, as the soak changed it: each repository's tags and
 * the manifests they point at. Every change goes through here, which counts how many
 * times each tag was set to each digest: a destination may see a tag pushed at most
 * that often (a task that succeeded twice would push it once more).
 */
export class SourceModel {
  private readonly build: ImageBuilder;
  private readonly tags = new Map<string, Map<string, string>>();
  private readonly manifests = new Map<string, PushedManifest>();
  private readonly sets = new Map<string, number>();
  readonly operations: Record<SourceOperation, number> = { push: 0, retag: 0, delete: 0 };
  private serial = 0;

  constructor(
    private readonly client: RegistryClient,
    private readonly random: Random,
    readonly repositories: readonly string[],
    private readonly tagNames: readonly string[],
  ) {
    this.build = new ImageBuilder(client);
    for (const r of repositories) this.tags.set(r, new Map());
  }

  /** A few tags in every repository, so the first executions have work. */
  async seed(tagsEach: number): Promise<void> {
    for (const repository of this.repositories)
      for (const tag of this.tagNames.slice(0, tagsEach)) await this.pushImage(repository, tag);
  }

  /** One random change at the source. */
  async step(): Promise<SourceOperation> {
    const op = this.random.weighted<SourceOperation>({ push: 5, retag: 3, delete: 2 });
    const repository = this.random.pick(this.repositories);
    const tags = this.tags.get(repository)!;
    if (op === 'retag' && tags.size > 0) {
      const digest = this.random.pick([...new Set(tags.values())]);
      const tag = this.random.pick(this.tagNames);
      const manifest = this.manifests.get(digest)!;
      await this.client.putManifest(repository, tag, manifest.bytes, manifest.descriptor.mediaType);
      this.setTag(repository, tag, digest);
    } else if (op === 'delete' && new Set(tags.values()).size > 1) {
      // Deleting a manifest removes every tag on it; one always stays, so the source
      // never looks empty (the deletion guard would rightly hold everything).
      const digest = this.random.pick([...new Set(tags.values())]);
      await this.client.deleteManifest(repository, digest);
      for (const [tag, d] of tags) if (d === digest) tags.delete(tag);
    } else {
      await this.pushImage(repository, this.random.pick(this.tagNames));
      this.operations.push++;
      return 'push';
    }
    this.operations[op]++;
    return op;
  }

  /** What each repository's tags point at now. */
  expected(): Map<string, Map<string, string>> {
    return new Map([...this.tags].map(([r, t]) => [r, new Map(t)]));
  }

  /** How many times `repository:tag` was set to `digest`. */
  timesSet(repository: string, tag: string, digest: string): number {
    return this.sets.get(`${repository}:${tag}@${digest}`) ?? 0;
  }

  private async pushImage(repository: string, tag: string): Promise<void> {
    const n = this.serial++;
    // Mostly small; now and then a layer large enough to be in flight when a fault hits.
    const layers = [
      { seed: `soak-${this.random.seed}-${n}-a`, size: this.random.int(4, 128) * KiB },
    ];
    if (this.random.chance(0.3)) layers.push({ seed: 'soak-shared-base', size: 256 * KiB });
    if (this.random.chance(0.1))
      layers.push({ seed: `soak-${this.random.seed}-${n}-big`, size: this.random.int(2, 6) * MiB });
    const pushed = await this.build.image(repository, { tag, layers });
    this.manifests.set(pushed.descriptor.digest, pushed);
    this.setTag(repository, tag, pushed.descriptor.digest);
  }

  private setTag(repository: string, tag: string, digest: string): void {
    this.tags.get(repository)!.set(tag, digest);
    const key = `${repository}:${tag}@${digest}`;
    this.sets.set(key, (this.sets.get(key) ?? 0) + 1);
  }
}
