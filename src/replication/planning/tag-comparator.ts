import { describeError } from '../../common/describe-error.js';
import type { ManifestDescriptor, RegistryClient } from '../../oci/index.js';
import { destinationRepository } from '../../policies/destination-naming.js';
import type { DestinationListings } from './destination-tags.js';
import type { PlanDestination } from './plan-destination.js';
import type { TagState } from './tag-state.js';

export interface TagComparison {
  repository: string;
  tag: string;
  source: TagState;
  /** Asked only when the source has the tag; otherwise every state is absent. */
  destinations: {
    destination: PlanDestination;
    repository: string;
    state: TagState;
    /**
     * The digest the destination holds when it is the variant index regrelay made
     * from the source's (filters.variants); `state` then reads as the source's digest.
     */
    variant?: string;
    /** The destination's listing of the repository held no tags (a new repository). */
    emptyRepository?: boolean;
  }[];
}

/**
 * Where one source tag stands at the source and at each destination: a HEAD at the
 * source, and (when the source has it) a HEAD per destination, in parallel, unless
 * the destination's tag listing (when given) shows it lacks the tag. A destination's
 * HEAD is conditional on the source's digest: the registry confirms a tag in step
 * (304) more cheaply than it describes it, and in step is what most tags of a
 * resync are. Errors are reported as states, not thrown, so one bad tag or one dead
 * destination does not stop a plan; aborts are thrown.
 */
export async function compareTag(
  source: RegistryClient,
  destinations: PlanDestination[],
  repository: string,
  tag: string,
  signal: AbortSignal,
  listings?: DestinationListings,
): Promise<TagComparison> {
  const sourceState = await headTag(source, repository, tag, signal);
  const states = await Promise.all(
    destinations.map(async (destination) => {
      const target = destinationRepository(destination.namespace, repository);
      const listed = await listings?.get(destination.registryId);
      const state: TagState =
        sourceState.kind !== 'present' || (listed && !listed.has(tag))
          ? { kind: 'absent' }
          : await headTag(destination.client, target, tag, signal, sourceState.descriptor);
      return {
        destination,
        repository: target,
        state,
        ...(listed?.size === 0 ? { emptyRepository: true } : {}),
      };
    }),
  );
  return { repository, tag, source: sourceState, destinations: states };
}

/**
 * A tag's descriptor at a registry, absent, or unreadable (down, denied…). With
 * `known`, the HEAD is conditional on it (see the OCI client's HeadOptions).
 */
export async function headTag(
  client: RegistryClient,
  repository: string,
  tag: string,
  signal: AbortSignal,
  known?: ManifestDescriptor,
): Promise<TagState> {
  try {
    const descriptor = await client.headManifest(repository, tag, { signal, known });
    return descriptor ? { kind: 'present', descriptor } : { kind: 'absent' };
  } catch (error) {
    if (signal.aborted) throw error;
    return { kind: 'unreadable', error: describeError(error) };
  }
}
