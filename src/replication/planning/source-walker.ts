import { describeError } from '../../common/describe-error.js';
import { NotFoundError, type RegistryClient } from '../../oci/index.js';
import { NameFilter } from '../../policies/name-filter.js';
import type { ExecutionScope } from '../executions/execution.entity.js';
import { TagSelection } from '../../policies/tag-selection.js';
import type { NameFilters } from './replication-spec.js';

/** The source could not be listed; planning stops and nothing is deleted. */
export class SourceUnreadableError extends Error {
  override name = 'SourceUnreadableError';
}

/** One source repository as a walk sees it. */
export interface SourceRepository {
  name: string;
  /**
   * Pages of tag names, in listing order, unfiltered. For a scoped repository with
   * named tags, one page with those names (which may or may not exist).
   */
  pages: AsyncIterable<string[]>;
  /** True when `pages` lists every tag of the repository (not just named ones). */
  listsEverything: boolean;
  /** Manifests an event reported pushed by digest only (referrer candidates). */
  digests?: string[];
}

/**
 * Walks what filters select at a source: repositories from the catalog (or the
 * names the filters give, or the execution's scope), then tags page by page. Nothing
 * is held whole in memory; the consumer pulls.
 */
export class SourceWalker {
  readonly repositories: NameFilter;
  readonly tags: TagSelection;

  constructor(
    private readonly source: RegistryClient,
    filters: NameFilters,
    private readonly scope: ExecutionScope | null,
    private readonly signal: AbortSignal,
  ) {
    this.repositories = NameFilter.compile(filters.repositories, filters.excludeRepositories);
    this.tags = new TagSelection(filters);
  }

  /** True when the walk covers everything the filters select (not an event's few repositories). */
  get complete(): boolean {
    return this.scope === null;
  }

  async *walk(): AsyncGenerator<SourceRepository> {
    for await (const name of this.repositoryNames()) {
      // Ranking the latest tags needs them all, whatever an event named.
      const named = this.tags.latest ? [] : this.scope?.repositories[name];
      const digests = this.scope?.digests?.[name];
      if (named === undefined && digests)
        yield { name, pages: once([]), listsEverything: false, digests };
      else if (named?.length) yield { name, pages: once(named), listsEverything: false, digests };
      else yield { name, pages: this.tagPages(name), listsEverything: true, digests };
    }
  }

  private async *repositoryNames(): AsyncGenerator<string> {
    if (this.scope) {
      const names = new Set([
        ...Object.keys(this.scope.repositories),
        ...Object.keys(this.scope.digests ?? {}),
      ]);
      for (const name of names) if (this.repositories.matches(name)) yield name;
      return;
    }
    const named = this.repositories.literalNames();
    if (named) {
      yield* named; // no need for the catalog, which not every registry offers
      return;
    }
    try {
      for await (const page of this.source.catalogPages({ signal: this.signal })) {
        for (const name of page) if (this.repositories.matches(name)) yield name;
      }
    } catch (error) {
      if (this.signal.aborted) throw error;
      throw new SourceUnreadableError(
        `could not list repositories of the source (${describeError(error)}). Registries without a catalog ` +
          'need repository filters that name repositories exactly (no wildcards).',
      );
    }
  }

  private async *tagPages(repository: string): AsyncGenerator<string[]> {
    try {
      yield* this.source.tagPages(repository, { signal: this.signal });
    } catch (error) {
      if (error instanceof NotFoundError) return; // named by a filter but not there (any more)
      if (this.signal.aborted) throw error;
      throw new SourceUnreadableError(
        `could not list the tags of ${repository} at the source (${describeError(error)})`,
      );
    }
  }
}

async function* once<T>(value: T): AsyncGenerator<T> {
  yield value;
}
