import { mapConcurrent } from '../../common/async-pool.js';
import type { RegistryClient } from '../../oci/index.js';
import { headTag } from '../planning/tag-comparator.js';
import type { RankedTag, TagTimes } from './tag-times.js';

export interface LatestContext {
  source: RegistryClient;
  sourceRegistryId: string;
  times: TagTimes;
  concurrency: number;
  signal: AbortSignal;
}

/**
 * The `n` most recently pushed of a repository's candidate tags (see TagTimes): the
 * newest first; a tag with no known time ranks after every dated one, ties go to the
 * greater tag name, so the choice is the same on every run. Tags the source cannot
 * be asked about are left out of the ranking (not chosen, and not dropped either:
 * `unranked`).
 */
export async function latestTags(
  ctx: LatestContext,
  repository: string,
  candidates: readonly string[],
  n: number,
): Promise<{ selected: string[]; unranked: string[] }> {
  const states = await mapConcurrent([...candidates], ctx.concurrency, async (tag) => ({
    tag,
    state: await headTag(ctx.source, repository, tag, ctx.signal),
  }));
  const ranked: RankedTag[] = [];
  const unranked: string[] = [];
  for (const { tag, state } of states) {
    if (state.kind === 'present')
      ranked.push({ tag, digest: state.descriptor.digest, mediaType: state.descriptor.mediaType });
    else if (state.kind === 'unreadable') unranked.push(tag);
  }
  const times = await ctx.times.of(
    ctx.source,
    ctx.sourceRegistryId,
    repository,
    ranked,
    ctx.concurrency,
    ctx.signal,
  );
  const order = (t: RankedTag) => times.get(t.tag) ?? -Infinity;
  ranked.sort((a, b) => order(b) - order(a) || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0));
  return { selected: ranked.slice(0, n).map((t) => t.tag), unranked };
}
