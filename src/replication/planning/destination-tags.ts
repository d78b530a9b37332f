import { NotFoundError, type RegistryClient } from '../../oci/index.js';
import { destinationRepository } from '../../policies/destination-naming.js';
import type { PlanDestination } from './plan-destination.js';

/** Beyond this many tags a destination repository is asked tag by tag instead. */
const MAX_LISTED_TAGS = 20_000;

/** Per destination registry: the tags its repository listed, or undefined when unknown. */
export type DestinationListings = ReadonlyMap<string, Promise<ReadonlySet<string> | undefined>>;

/**
 * Lists, once per planned repository, the tags each destination holds there, so that
 * a tag the destination does not list is known absent without a HEAD of its own: a
 * new repository costs one request instead of one per tag. Listed tags are still
 * HEADed for their digest. A listing is a snapshot, like a HEAD: the task checks
 * the destination again before it copies.
 */
export function listDestinations(
  destinations: PlanDestination[],
  repository: string,
  signal: AbortSignal,
): DestinationListings {
  return new Map(
    destinations.map((d) => [
      d.registryId,
      listTags(d.client, destinationRepository(d.namespace, repository), signal),
    ]),
  );
}

/**
 * Every tag of a repository; empty when the registry says the repository does not
 * exist (NAME_UNKNOWN). Undefined (ask tag by tag) when the listing fails, is too
 * long, or was aborted: never rejects, as nobody may be waiting for it.
 */
export async function listTags(
  client: RegistryClient,
  repository: string,
  signal: AbortSignal,
): Promise<ReadonlySet<string> | undefined> {
  const tags = new Set<string>();
  try {
    for await (const page of client.tagPages(repository, { signal })) {
      for (const tag of page) tags.add(tag);
      if (tags.size > MAX_LISTED_TAGS) return undefined;
    }
    return tags;
  } catch (error) {
    // Only NAME_UNKNOWN says the repository is missing; another 404 may mean the
    // registry does not list tags at all.
    if (error instanceof NotFoundError && error.code === 'NAME_UNKNOWN' && !signal.aborted)
      return tags;
    return undefined;
  }
}
