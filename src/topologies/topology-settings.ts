import type { ExecutionOwner, ExecutionSettings } from '../replication/owners/execution-owner.js';
import type { NameFilters, ReplicationSpec } from '../replication/planning/replication-spec.js';
import { shapeOf } from './topologies.service.js';
import type { TopologyEntity } from './topology.entity.js';

/** The lane of a tree's anti-entropy passes (other lanes are edges: the parent's registry id). */
export const SYNC_LANE = 'sync';

export function filtersOf(t: TopologyEntity): NameFilters {
  return {
    repositories: t.repositories,
    excludeRepositories: t.excludeRepositories,
    tags: t.tags,
    excludeTags: t.excludeTags,
  };
}

/**
 * How a topology's tasks run. A pair's copies may replace a tag, but each names the
 * digest it expects to find there (compare-and-set), so a change made on a side
 * after the comparison is never overwritten.
 */
export function settingsOf(t: TopologyEntity): ExecutionSettings {
  return {
    override: t.kind === 'dual-master' ? true : t.override,
    bandwidthLimit: null,
    maxConcurrency: null,
  };
}

/** The executions of an edge of a tree: its parent delivering to its children. */
export function edgeOwner(t: Pick<TopologyEntity, 'id'>, parentRegistryId: string): ExecutionOwner {
  return { kind: 'topology', id: t.id, lane: parentRegistryId };
}

export function topologyOwner(t: Pick<TopologyEntity, 'id'>, lane?: string): ExecutionOwner {
  return lane ? { kind: 'topology', id: t.id, lane } : { kind: 'topology', id: t.id };
}

/** What the root's edge compares: the root against its children, as a policy would. */
export function rootSpec(t: TopologyEntity): ReplicationSpec {
  const shape = shapeOf(t);
  return {
    sourceRegistryId: shape.root.registryId,
    filters: filtersOf(t),
    destinations: shape
      .children(shape.root.registryId)
      .map((c) => ({ registryId: c.registryId, namespace: c.namespace })),
    override: t.override,
    deletion: t.deletion,
  };
}
