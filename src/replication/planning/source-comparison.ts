import { forEachConcurrent, mapConcurrent } from '../../common/async-pool.js';
import type { RegistryClient } from '../../oci/index.js';
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
  /** A repository is done (after its last page). */
  repository(done: ComparedRepository): Promise<void> | void;
}

/**
 * The one walk-and-compare loop, shared by the planner and the reconciler: walks the
 * source (a few repositories at once, tags page by page), lists each destination
 * repository once when the walk lists every tag (a tag a destination does not list
 * is absent without a HEAD of its own), and compares each selected tag with every
 * destination. What to make of a comparison is the caller's (see decisions.ts).
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
      for await (const page of repository.pages) {
        for (const tag of page) listed.add(tag);
        const wanted = page.filter((tag) => ctx.walker.tags.matches(tag));
        const compared = await mapConcurrent(wanted, ctx.concurrency, (tag) =>
          compareTag(ctx.source, ctx.destinations, repository.name, tag, ctx.signal, listings),
        );
        for (const c of compared) (c.source.kind === 'absent' ? absent : present).push(c.tag);
        await handlers.page(compared);
      }
      await handlers.repository({ repository, listed, present, absent });
    },
    ctx.signal,
  );
}
