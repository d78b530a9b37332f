import { ProtocolError } from './errors.js';
import { assertRepository } from './reference.js';
import type { Transport } from './request.js';
import { CATALOG_SCOPE, repositoryScope } from './scope.js';
import { nextLink } from './upload-location.js';

export interface PageOptions {
  /** `n=` page size hint (registries may ignore it). Default 1000. */
  pageSize?: number;
  /** Start after this entry (`last=`). */
  last?: string;
  signal?: AbortSignal;
}

/** A registry that links to itself forever must not keep us here. */
const MAX_PAGES = 100_000;
const MAX_PAGE_BYTES = 16 << 20;

/**
 * Pages of a list endpoint, following `Link: <…>; rel="next"` (relative or absolute)
 * until there is none. Each page is yielded as soon as it is read, so planning over
 * thousands of tags streams.
 */
async function* pages(
  t: Transport,
  first: URL,
  field: 'tags' | 'repositories',
  scopes: string[],
  repository: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<string[]> {
  let url: URL | undefined = first;
  const seen = new Set<string>();
  for (let page = 0; url && page < MAX_PAGES; page++) {
    if (seen.has(url.href))
      throw new ProtocolError('pagination loops back on itself', t.context({ repository }));
    seen.add(url.href);
    const response = await t.send({
      method: 'GET',
      url,
      scopes,
      context: { repository },
      expect: [200],
      maxBodyBytes: MAX_PAGE_BYTES,
      signal,
    });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(response.bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ProtocolError(`the ${field} list is not JSON`, t.context({ repository }));
    }
    const list = body[field];
    // distribution answers `"tags": null` for a repository whose tags were all deleted.
    if (list !== null && list !== undefined && !Array.isArray(list)) {
      throw new ProtocolError(`the ${field} list is not an array`, t.context({ repository }));
    }
    yield ((list as unknown[] | null) ?? []).filter((x): x is string => typeof x === 'string');
    url = nextLink(response.headers.link, response.url);
  }
}

function firstUrl(t: Transport, path: string, options: PageOptions): URL {
  const url = new URL(path, t.options.baseUrl);
  url.searchParams.set('n', String(options.pageSize ?? 1000));
  if (options.last) url.searchParams.set('last', options.last);
  return url;
}

export function tagPages(t: Transport, repository: string, options: PageOptions = {}) {
  assertRepository(t.registry, repository);
  const url = firstUrl(t, `/v2/${repository}/tags/list`, options);
  return pages(t, url, 'tags', [repositoryScope(repository, 'pull')], repository, options.signal);
}

export function catalogPages(t: Transport, options: PageOptions = {}) {
  const url = firstUrl(t, '/v2/_catalog', options);
  return pages(t, url, 'repositories', [CATALOG_SCOPE], undefined, options.signal);
}

export async function collect(source: AsyncIterable<string[]>): Promise<string[]> {
  const all: string[] = [];
  for await (const page of source) all.push(...page);
  return all;
}
