import { Injectable } from '@nestjs/common';
import { children, isIndex, type RegistryClient } from '../../oci/index.js';

/** When registries reported tags pushed (their webhooks), by tag; the newest report wins. */
export type PushTimeSource = (
  registryId: string,
  repository: string,
  tags: readonly string[],
) => Promise<Map<string, { digest: string | null; at: Date }>>;

/** Configs' created times kept, by manifest digest (content-addressed: they never change). */
const MAX_CACHED = 100_000;
const MAX_CONFIG_BYTES = 1 << 20;

/** One source tag to rank. */
export interface RankedTag {
  tag: string;
  digest: string;
  mediaType: string;
}

/**
 * When each tag was pushed, for `latest: N`: the image config's `created` time (an
 * index: its first platform's), else the registry's push event for that digest (the
 * events module registers where those are kept), else unknown (ranked oldest).
 * Created times are cached by digest, so a later run costs no request for tags it
 * saw before; a zero time (`0001-01-01`, as cosign and reproducible builds write)
 * counts as unknown.
 */
@Injectable()
export class TagTimes {
  private readonly created = new Map<string, number | null>();
  private readonly pushSources: PushTimeSource[] = [];

  registerPushTimes(source: PushTimeSource): void {
    this.pushSources.push(source);
  }

  /** Tag → milliseconds since the epoch, or null when unknown. */
  async of(
    client: RegistryClient,
    registryId: string,
    repository: string,
    tags: readonly RankedTag[],
    concurrency: number,
    signal: AbortSignal,
  ): Promise<Map<string, number | null>> {
    const result = new Map<string, number | null>();
    const queue = [...tags];
    const workers = Array.from({ length: Math.max(1, concurrency) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift())
        result.set(next.tag, await this.createdOf(client, repository, next, signal));
    });
    await Promise.all(workers);
    const unknown = tags.filter((t) => result.get(t.tag) === null);
    if (unknown.length) {
      for (const source of this.pushSources) {
        const reported = await source(
          registryId,
          repository,
          unknown.map((t) => t.tag),
        );
        for (const t of unknown) {
          const push = reported.get(t.tag);
          if (push && (push.digest === null || push.digest === t.digest))
            result.set(t.tag, push.at.getTime());
        }
      }
    }
    return result;
  }

  private async createdOf(
    client: RegistryClient,
    repository: string,
    tag: RankedTag,
    signal: AbortSignal,
  ): Promise<number | null> {
    if (this.created.has(tag.digest)) return this.created.get(tag.digest)!;
    let at: number | null;
    try {
      at = await this.readCreated(client, repository, tag.digest, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      return null; // unreadable now: not cached, asked again next time
    }
    this.created.set(tag.digest, at);
    if (this.created.size > MAX_CACHED) this.created.delete(this.created.keys().next().value!);
    return at;
  }

  private async readCreated(
    client: RegistryClient,
    repository: string,
    digest: string,
    signal: AbortSignal,
  ): Promise<number | null> {
    let manifest = await client.getManifest(repository, digest, { signal });
    if (isIndex(manifest.descriptor.mediaType)) {
      const first = children(manifest.bytes, manifest.descriptor.mediaType).manifests[0];
      if (!first) return null;
      manifest = await client.getManifest(repository, first.digest, { signal });
    }
    const config = children(manifest.bytes, manifest.descriptor.mediaType).config;
    if (!config || config.size > MAX_CONFIG_BYTES) return null;
    const blob = await client.getBlob(repository, config.digest, { signal });
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of blob.body) {
      size += chunk.byteLength;
      if (size > MAX_CONFIG_BYTES) return null;
      chunks.push(chunk);
    }
    try {
      const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { created?: unknown };
      const at = typeof json.created === 'string' ? Date.parse(json.created) : NaN;
      return Number.isFinite(at) && at > 0 ? at : null;
    } catch {
      return null;
    }
  }
}
