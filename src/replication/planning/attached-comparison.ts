import { mapConcurrent } from '../../common/async-pool.js';
import { describeError } from '../../common/describe-error.js';
import {
  children,
  isIndex,
  parseAttachedTag,
  type ReferrerSelection,
  type RegistryClient,
} from '../../oci/index.js';
import { destinationRepository } from '../../policies/destination-naming.js';
import {
  isEmptyAttached,
  missingAttached,
  readAttached,
  type AttachedState,
} from '../attached/attached-state.js';
import type { DestinationListings } from './destination-tags.js';
import type { PlanDestination } from './plan-destination.js';
import type { TagComparison } from './tag-comparator.js';

/** Where what is attached to a subject stands at one destination. */
export type AttachedDiff =
  | { kind: 'same' }
  /** The destination holds the subject but lacks some of what the source attached to it. */
  | { kind: 'missing'; missing: string[] }
  | { kind: 'unreadable'; error: string };

/** What is attached to one subject, compared with each destination holding the subject. */
export interface AttachedComparison {
  repository: string;
  subject: { digest: string; mediaType: string | null };
  /** Source tags pointing at the subject (or at the index it belongs to), as far as known. */
  tags: string[];
  destinations: { destination: PlanDestination; repository: string; state: AttachedDiff }[];
}

interface Candidate {
  digest: string;
  mediaType: string | null;
  tags: Set<string>;
  /** Destinations known to hold the subject, or 'ask' (named by an event: HEAD it first). */
  at: Set<string> | 'ask';
}

/**
 * The subjects of one source repository whose attached artifacts a walk compares:
 * images found already in place at a destination (the others are copied with what
 * is attached to them anyway), and subjects events named (a cosign tag pushed, a
 * referrer pushed by digest).
 */
export class AttachedCandidates {
  private readonly byDigest = new Map<string, Candidate>();

  /** An image the destinations that hold it with the same digest. */
  compared(c: TagComparison): void {
    if (c.source.kind !== 'present') return;
    const digest = c.source.descriptor.digest;
    // A variant index holds only some of the source's children: what is attached
    // to it came with its copy, and is not compared afterwards.
    const same = c.destinations.filter(
      (d) => d.state.kind === 'present' && d.state.descriptor.digest === digest && !d.variant,
    );
    if (!same.length) return;
    const candidate = this.candidate(digest, c.source.descriptor.mediaType);
    candidate.tags.add(c.tag);
    if (candidate.at !== 'ask') for (const d of same) candidate.at.add(d.destination.registryId);
  }

  /** A subject an event named: every destination is asked whether it holds it. */
  named(digest: string): void {
    this.candidate(digest, null).at = 'ask';
  }

  get size(): number {
    return this.byDigest.size;
  }

  all(): Candidate[] {
    return [...this.byDigest.values()];
  }

  has(digest: string): boolean {
    return this.byDigest.has(digest);
  }

  /** A child of an index candidate: where the index is, its children are. */
  child(parent: Candidate, digest: string): void {
    const candidate = this.candidate(digest, null);
    for (const tag of parent.tags) candidate.tags.add(tag);
    if (parent.at === 'ask') candidate.at = 'ask';
    else if (candidate.at !== 'ask') for (const id of parent.at) candidate.at.add(id);
  }

  private candidate(digest: string, mediaType: string | null): Candidate {
    let candidate = this.byDigest.get(digest);
    if (!candidate) {
      candidate = { digest, mediaType, tags: new Set(), at: new Set() };
      this.byDigest.set(digest, candidate);
    }
    candidate.mediaType ??= mediaType;
    return candidate;
  }
}

export interface AttachedComparisonContext {
  source: RegistryClient;
  destinations: PlanDestination[];
  selection: ReferrerSelection;
  concurrency: number;
  signal: AbortSignal;
}

/**
 * Compares what is attached to each candidate subject at the source with what each
 * destination holding the subject has: cosign tags, referrers (through either side's
 * API or `sha256-<hex>` index), and the same for an index's children. Tag listings,
 * where the walk made them, spare every request for subjects that have nothing
 * attached at a source without the referrers API; an index's children are read only
 * when the source lists attached tags of subjects that are no image's (or has the
 * API). Errors become `unreadable` states; aborts are thrown.
 */
export async function compareAttached(
  ctx: AttachedComparisonContext,
  repository: string,
  candidates: AttachedCandidates,
  names: ReadonlySet<string> | undefined,
  listings: DestinationListings | undefined,
): Promise<AttachedComparison[]> {
  if (ctx.selection === 'none' || !candidates.size) return [];
  const compare = (c: Candidate) => compareOne(ctx, repository, c, names, listings);
  const results = await mapConcurrent(candidates.all(), ctx.concurrency, compare);
  const childResults = await mapConcurrent(
    await childCandidates(ctx, repository, candidates, names),
    ctx.concurrency,
    compare,
  );
  return [...results, ...childResults].filter((r): r is AttachedComparison => r !== undefined);
}

/** Children of index candidates that may have something attached of their own. */
async function childCandidates(
  ctx: AttachedComparisonContext,
  repository: string,
  candidates: AttachedCandidates,
  names: ReadonlySet<string> | undefined,
): Promise<Candidate[]> {
  const strays = new Set<string>();
  for (const name of names ?? []) {
    const attached = parseAttachedTag(name);
    if (attached && !candidates.has(attached.subject)) strays.add(attached.subject);
  }
  // Without a listing (an event's few tags) or with the API, any child may have referrers.
  const anyChild = names === undefined || ctx.source.knownReferrersApi() !== false;
  if (!anyChild && !strays.size) return [];
  const children_ = new AttachedCandidates();
  const indexes = candidates.all().filter((c) => c.mediaType && isIndex(c.mediaType));
  await mapConcurrent(indexes, ctx.concurrency, async (index) => {
    let manifest;
    try {
      manifest = await ctx.source.getManifest(repository, index.digest, { signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return; // the index's own copy reports it; its children wait for the next run
    }
    for (const child of children(manifest.bytes, manifest.descriptor.mediaType).manifests)
      if (anyChild || strays.has(child.digest)) children_.child(index, child.digest);
  });
  return children_.all();
}

async function compareOne(
  ctx: AttachedComparisonContext,
  repository: string,
  candidate: Candidate,
  names: ReadonlySet<string> | undefined,
  listings: DestinationListings | undefined,
): Promise<AttachedComparison | undefined> {
  let source: AttachedState;
  try {
    source = await readAttached(
      ctx.source,
      repository,
      candidate.digest,
      ctx.selection,
      ctx.signal,
      {
        names,
      },
    );
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return undefined; // nothing to decide on; the next run asks again
  }
  if (isEmptyAttached(source)) return undefined;
  const only = { tags: [...source.tags.keys()], referrers: source.referrers.size > 0 };
  const at = candidate.at;
  const destinations = await Promise.all(
    ctx.destinations
      .filter((d) => at === 'ask' || at.has(d.registryId))
      .map(async (destination) => {
        const target = destinationRepository(destination.namespace, repository);
        const state = await diffAt(ctx, destination, target, candidate, source, only, at, listings);
        return state && { destination, repository: target, state };
      }),
  );
  return {
    repository,
    subject: { digest: candidate.digest, mediaType: candidate.mediaType },
    tags: [...candidate.tags],
    destinations: destinations.filter((d) => d !== undefined),
  };
}

/** The diff at one destination; undefined when it does not hold the subject (an event's). */
async function diffAt(
  ctx: AttachedComparisonContext,
  destination: PlanDestination,
  repository: string,
  candidate: Candidate,
  source: AttachedState,
  only: { tags: string[]; referrers: boolean },
  at: Candidate['at'],
  listings: DestinationListings | undefined,
): Promise<AttachedDiff | undefined> {
  try {
    if (at === 'ask') {
      const there = await destination.client.headManifest(repository, candidate.digest, {
        signal: ctx.signal,
      });
      if (!there) return undefined;
    }
    const names = await listings?.get(destination.registryId);
    const state = await readAttached(
      destination.client,
      repository,
      candidate.digest,
      ctx.selection,
      ctx.signal,
      { names, only },
    );
    const missing = missingAttached(source, state);
    return missing.length ? { kind: 'missing', missing } : { kind: 'same' };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return { kind: 'unreadable', error: describeError(error) };
  }
}
