import { BadGatewayException, Injectable } from '@nestjs/common';
import { mapConcurrent } from '../common/async-pool.js';
import { describeError } from '../common/describe-error.js';
import { InvalidInputException } from '../common/validation.js';
import { NotFoundError, type RegistryClient } from '../oci/index.js';
import { RegistriesService } from '../registries/registries.service.js';
import { RegistryClients } from '../registries/registry-clients.js';
import type {
  PolicyPreviewDto,
  PolicyPreviewRequestDto,
  PreviewRepositoryDto,
} from './dto/preview.dto.js';
import { filterProblems, withDefaultFilters } from './filter-rules.js';
import { NameFilter } from './name-filter.js';
import { semverProblem } from './filter-rules.js';
import { TagSelection } from './tag-selection.js';

const DEFAULT_LIMIT = 50;
/** Catalog names one page looks at, matched or not: a filter matching little ends here. */
const MAX_SCANNED = 10_000;
/** Someone waits for the answer; what is not listed by then is left for the next page. */
const BUDGET_MS = 10_000;
const TAG_LISTING_CONCURRENCY = 4;
const SAMPLE_TAGS = 5;

interface SelectedNames {
  names: string[];
  scanned: number;
  next: string | null;
  stoppedBy: PolicyPreviewDto['stoppedBy'];
}

/**
 * A dry run of a policy's filters against its source: which repositories, and how
 * many of their tags, the filters select. Lists the source a page at a time, bounded
 * in repositories, in names looked at and in time, so a huge catalog is never read
 * whole; nothing is written anywhere.
 */
@Injectable()
export class PolicyPreview {
  constructor(
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
  ) {}

  async preview(request: PolicyPreviewRequestDto): Promise<PolicyPreviewDto> {
    const patterns = withDefaultFilters(request.filters);
    const problems = [...filterProblems(patterns), ...semverProblem(request.filters?.semver)];
    const registry = (await this.registries.getMany([request.sourceRegistryId])).get(
      request.sourceRegistryId,
    );
    if (!registry) {
      problems.unshift({
        field: 'sourceRegistryId',
        reason: `registry ${request.sourceRegistryId} does not exist`,
      });
    }
    if (problems.length || !registry) throw new InvalidInputException(problems);

    const repositories = NameFilter.compile(patterns.repositories, patterns.excludeRepositories);
    const tags = new TagSelection({
      ...patterns,
      semver: request.filters?.semver,
      latest: request.filters?.latest,
    });
    // Its own client: one quick retry, not the patience transfers get.
    const client = this.clients.build(registry, {
      retry: { retries: 1, minDelayMs: 200, maxDelayMs: 1000 },
    });
    const budget = new AbortController();
    const timer = setTimeout(() => budget.abort(), BUDGET_MS);
    const signal = budget.signal;
    try {
      const selected = await selectRepositories(
        client,
        registry.name,
        repositories,
        request.after,
        request.limit ?? DEFAULT_LIMIT,
        signal,
      );
      let counted = await mapConcurrent(selected.names, TAG_LISTING_CONCURRENCY, (name) =>
        countTags(client, name, tags, signal),
      );
      let { next, stoppedBy } = selected;
      const cut = counted.findIndex((r) => !r.complete);
      if (cut >= 0) {
        // Out of time: keep the partly counted one (it says so), continue after it.
        counted = counted.slice(0, cut + 1);
        next = counted[cut]!.name;
        stoppedBy = 'time';
      }
      return {
        repositories: counted,
        repositoryCount: counted.filter((r) => r.tags > 0).length,
        tagCount: counted.reduce((sum, r) => sum + r.tags, 0),
        scanned: selected.scanned,
        next,
        stoppedBy,
      };
    } finally {
      clearTimeout(timer);
      await client.close();
    }
  }
}

/** Up to `limit` repository names the filter selects, after `after`, from the catalog. */
async function selectRepositories(
  client: RegistryClient,
  registryName: string,
  filter: NameFilter,
  after: string | undefined,
  limit: number,
  signal: AbortSignal,
): Promise<SelectedNames> {
  const literal = filter.literalNames();
  // Names without wildcards need no catalog (which not every registry offers).
  const pages: AsyncIterable<string[]> | Iterable<string[]> = literal
    ? [[...literal].sort()]
    : client.catalogPages({ last: after, signal });
  const names: string[] = [];
  let scanned = 0;
  let last: string | undefined;
  try {
    for await (const page of pages) {
      for (const name of page) {
        // Also guards against a registry that ignores `last=` and starts over.
        if (after !== undefined && name <= after) continue;
        scanned++;
        last = name;
        if (filter.matches(name)) names.push(name);
        if (names.length >= limit) return { names, scanned, next: name, stoppedBy: 'limit' };
        if (scanned >= MAX_SCANNED) return { names, scanned, next: name, stoppedBy: 'scan' };
      }
    }
  } catch (error) {
    if (signal.aborted) return { names, scanned, next: last ?? after ?? null, stoppedBy: 'time' };
    throw new BadGatewayException(
      `Could not list the repositories of registry ${registryName} (${describeError(error)}). ` +
        'Registries without a catalog need repository filters that name repositories exactly (no wildcards).',
    );
  }
  return { names, scanned, next: null, stoppedBy: null };
}

async function countTags(
  client: RegistryClient,
  repository: string,
  filter: TagSelection,
  signal: AbortSignal,
): Promise<PreviewRepositoryDto> {
  const result: PreviewRepositoryDto = {
    name: repository,
    tags: 0,
    sampleTags: [],
    complete: true,
    error: null,
  };
  if (signal.aborted) return { ...result, complete: false };
  try {
    for await (const page of client.tagPages(repository, { signal })) {
      for (const tag of page) {
        if (!filter.matches(tag)) continue;
        result.tags++;
        if (result.sampleTags.length < SAMPLE_TAGS) result.sampleTags.push(tag);
      }
    }
  } catch (error) {
    if (signal.aborted) result.complete = false;
    else if (!(error instanceof NotFoundError)) result.error = describeError(error);
  }
  if (filter.latest !== undefined) result.tags = Math.min(result.tags, filter.latest);
  return result;
}
