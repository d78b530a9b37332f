import { forEachConcurrent, mapConcurrent } from '../../common/async-pool.js';
import {
  children,
  parseAttachedTag,
  type ReferrerSelection,
  type RegistryClient,
} from '../../oci/index.js';
import {
  AttachedCandidates,
  compareAttached,
  type AttachedComparison,
} from './attached-comparison.js';
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
}

/** One source repository, compared. */
export interface ComparedRepository {
  repository: SourceRepository;
  /** Every tag the source listed (unfiltered). */
  listed: ReadonlySet<string>;
  /** Selected tags the source has, and named tags it turned out not to have. */
  present: string[];
  absent: string[];
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
      for await (const page of repository.pages) {
        for (const tag of page) listed.add(tag);
        const wanted: string[] = [];
        for (const tag of page) {
          const attached = parseAttachedTag(tag);
          // An event's attached tag names its subject; a listing's are read per subject.
          if (attached && !repository.listsEverything) candidates.named(attached.subject);
          else if (!attached && ctx.walker.tags.matches(tag)) wanted.push(tag);
        }
        const compared = await mapConcurrent(wanted, ctx.concurrency, (tag) =>
          compareTag(ctx.source, ctx.destinations, repository.name, tag, ctx.signal, listings),
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
      await handlers.repository({ repository, listed, present, absent });
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
