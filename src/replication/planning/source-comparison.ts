import { forEachConcurrent, mapConcurrent } from '../../common/async-pool.js';
import {
  children,
  isIndex,
  parseAttachedTag,
  type ReferrerSelection,
  type RegistryClient,
  type Variants,
} from '../../oci/index.js';
import {
  AttachedCandidates,
  compareAttached,
  type AttachedComparison,
} from './attached-comparison.js';
import { latestTags, type LatestContext } from '../selection/latest-tags.js';
import { listDestinations } from './destination-tags.js';
import type { PlanDestination } from './plan-destination.js';
import type { SourceRepository, SourceWalker } from './source-walker.js';
import { compareTag, type TagComparison } from './tag-comparator.js';

/** Repositories walked at once; their tags share the comparison concurrency. */
const PARALLEL_REPOSITORIES = 4;

export interface SourceComparisonContext {
  source: RegistryClient;
  destinations: PlanDestination[];
  walker: SourceWalker;
  /** Registry requests in flight per repository page. */
  concurrency: number;
  signal: AbortSignal;
  /** Attached artifacts compared for images already in place; absent: all. */
  referrers?: ReferrerSelection;
  /**
   * With `variants` other than `all`: what regrelay wrote at a destination tag (the
   * ledger), to recognise the index it narrowed from a source digest.
   */
  variants?: {
    choice: Variants;
    written: (
      destinationRegistryId: string,
      repository: string,
      tag: string,
    ) => Promise<{ digest: string; sourceDigest?: string | null } | undefined>;
  };
  /** Where push times come from, for filters with `latest` (without it, `latest` ranks nothing). */
  latest?: Omit<LatestContext, 'source' | 'concurrency' | 'signal'>;
}

/** One source repository, compared. */
export interface ComparedRepository {
  repository: SourceRepository;
  /** Every tag the source listed (unfiltered). */
  listed: ReadonlySet<string>;
  /** Selected tags the source has, and named tags it turned out not to have. */
  present: string[];
  absent: string[];
  /**
   * Tags the name patterns select but the retention-style options (semver, latest)
   * do not: with deletion on they leave the destinations, though the source has them.
   */
  unselected: ReadonlySet<string>;
}

export interface ComparisonHandlers {
  /** A page of selected tags, each compared with every destination. */
  page(comparisons: TagComparison[]): Promise<void> | void;
  /**
   * After a repository's pages: what is attached to its images already in place at
   * destinations (and to subjects events named), compared.
   */
  attached?(comparisons: AttachedComparison[]): Promise<void> | void;
  /** A repository is done (after its last page). */
  repository(done: ComparedRepository): Promise<void> | void;
}

/**
 * The one walk-and-compare loop, shared by the planner and the reconciler: walks the
 * source (a few repositories at once, tags page by page), lists each destination
 * repository once when the walk lists every tag (a tag a destination does not list
 * is absent without a HEAD of its own), and compares each selected tag with every
 * destination. Tags that hold attached artifacts (`sha256-<hex>`, cosign's
 * `….sig`/`.att`/`.sbom`) are never selected: at the end of each repository, what is
 * attached to the images already in place is compared instead (attached-comparison.ts).
 * What to make of a comparison is the caller's (see decisions.ts).
 */
export async function compareSource(
  ctx: SourceComparisonContext,
  handlers: ComparisonHandlers,
): Promise<void> {
  await forEachConcurrent(
    ctx.walker.walk(),
    PARALLEL_REPOSITORIES,
    async (repository) => {
      const listed = new Set<string>();
      const present: string[] = [];
      const absent: string[] = [];
      // A scoped execution names a few tags: asking about each beats listing them all.
      const listings = repository.listsEverything
        ? listDestinations(ctx.destinations, repository.name, ctx.signal)
        : undefined;
      const candidates = new AttachedCandidates();
      const unselected = new Set<string>();
      const selection = ctx.walker.tags;
      for await (const page of await selectedPages(ctx, repository, listed, unselected)) {
        for (const tag of page) listed.add(tag);
        const wanted: string[] = [];
        for (const tag of page) {
          const attached = parseAttachedTag(tag);
          // An event's attached tag names its subject; a listing's are read per subject.
          if (attached && !repository.listsEverything) candidates.named(attached.subject);
          else if (selection.matches(tag) && !unselected.has(tag)) wanted.push(tag);
          else if (selection.matchesName(tag)) unselected.add(tag);
        }
        const compared = await mapConcurrent(wanted, ctx.concurrency, async (tag) =>
          recogniseVariants(
            ctx,
            await compareTag(
              ctx.source,
              ctx.destinations,
              repository.name,
              tag,
              ctx.signal,
              listings,
            ),
          ),
        );
        for (const c of compared) {
          (c.source.kind === 'absent' ? absent : present).push(c.tag);
          candidates.compared(c);
        }
        await handlers.page(compared);
      }
      await subjectsOfPushedDigests(ctx, repository, candidates);
      if (handlers.attached) {
        const attached = await compareAttached(
          {
            source: ctx.source,
            destinations: ctx.destinations,
            selection: ctx.referrers ?? 'all',
            concurrency: ctx.concurrency,
            signal: ctx.signal,
          },
          repository.name,
          candidates,
          repository.listsEverything ? listed : undefined,
          listings,
        );
        if (attached.length) await handlers.attached(attached);
      }
      await handlers.repository({ repository, listed, present, absent, unselected });
    },
    ctx.signal,
  );
}

/**
 * Manifests an event reported pushed by digest only: those with a `subject` (a
 * signature, an SBOM pushed as a referrer) name their subject as a candidate.
 */
async function subjectsOfPushedDigests(
  ctx: SourceComparisonContext,
  repository: SourceRepository,
  candidates: AttachedCandidates,
): Promise<void> {
  if (!repository.digests?.length || ctx.referrers === 'none') return;
  await mapConcurrent(repository.digests, ctx.concurrency, async (digest) => {
    try {
      const manifest = await ctx.source.getManifest(repository.name, digest, {
        signal: ctx.signal,
      });
      const subject = children(manifest.bytes, manifest.descriptor.mediaType).subject;
      if (subject) candidates.named(subject.digest);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      // Gone since, or not a manifest we can read: nothing is attached through it.
    }
  });
}

/**
 * The pages of tags to look at: the repository's own, or, when the filters keep only
 * the latest N, one page of those N, ranked after the whole listing was read (into
 * `listed`; the matching tags not ranked among the N go into `unselected`).
 */
async function selectedPages(
  ctx: SourceComparisonContext,
  repository: SourceRepository,
  listed: Set<string>,
  unselected: Set<string>,
): Promise<AsyncIterable<string[]> | Iterable<string[]>> {
  const n = ctx.walker.tags.latest;
  if (n === undefined || !ctx.latest || !repository.listsEverything) return repository.pages;
  for await (const page of repository.pages) for (const tag of page) listed.add(tag);
  const candidates = [...listed].filter((tag) => ctx.walker.tags.matches(tag));
  const { selected, unranked } = await latestTags(
    { ...ctx.latest, source: ctx.source, concurrency: ctx.concurrency, signal: ctx.signal },
    repository.name,
    candidates,
    n,
  );
  const keep = new Set([...selected, ...unranked]);
  for (const tag of candidates) if (!keep.has(tag)) unselected.add(tag);
  return [[...listed]];
}

/**
 * A destination tag holding the index regrelay narrowed from the source's digest
 * (filters.variants) is in step: it reads as the source's digest, marked `variant`.
 */
async function recogniseVariants(
  ctx: SourceComparisonContext,
  c: TagComparison,
): Promise<TagComparison> {
  const variants = ctx.variants;
  if (!variants || variants.choice === 'all' || c.source.kind !== 'present') return c;
  const source = c.source.descriptor;
  if (!isIndex(source.mediaType)) return c;
  for (const d of c.destinations) {
    if (d.state.kind !== 'present' || d.state.descriptor.digest === source.digest) continue;
    const written = await variants.written(d.destination.registryId, d.repository, c.tag);
    if (written?.sourceDigest !== source.digest || written.digest !== d.state.descriptor.digest)
      continue;
    d.variant = d.state.descriptor.digest;
    d.state = { kind: 'present', descriptor: { ...d.state.descriptor, digest: source.digest } };
  }
  return c;
}
