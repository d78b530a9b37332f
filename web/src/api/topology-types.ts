/** The topology routes' shapes (/api/v1/topologies; docs/topologies.md, /docs). */

import type { Filters } from './types';

export type TopologyKind = 'tree' | 'dual-master';
export type ConflictRule = 'prefer-first' | 'prefer-second' | 'newest' | 'hold';
export const CONFLICT_RULES: ConflictRule[] = ['prefer-first', 'prefer-second', 'newest', 'hold'];

export interface TopologyNode {
  registryId: string;
  /** The parent node's registry; null for a tree's root (and for both sides of a pair). */
  parent: string | null;
  namespace: string | null;
}

export interface Topology {
  id: string;
  name: string;
  kind: TopologyKind;
  nodes: TopologyNode[];
  /** Pairs: the first and second registry. */
  registries: string[] | null;
  conflict: ConflictRule | null;
  filters: Filters;
  deletion: boolean;
  override: boolean;
  reconcile: { cron: string | null };
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NodeStatus {
  registryId: string;
  registry: string | null;
  role: 'root' | 'node' | 'first' | 'second';
  parent: string | null;
  /** Null before any sync compared it. */
  inSync: boolean | null;
  missing: number | null;
  different: number | null;
  waiting: number;
  lagSeconds: number | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** The last delivery here. */
  lastSyncedAt: string | null;
  /** The last time a sync compared it. */
  checkedAt: string | null;
}

export interface TopologyStatus {
  topologyId: string;
  kind: TopologyKind;
  nodes: NodeStatus[];
  conflictsHeld: number;
}

export interface PlannedAction {
  action: 'copy' | 'delete';
  from: string;
  to: string;
  repository: string;
  tag: string | null;
  digest: string;
}

export interface TopologyPlan {
  copies: number;
  deletions: number;
  items: PlannedAction[];
  truncated: boolean;
}

export type ConflictResolution =
  'prefer-first' | 'prefer-second' | 'newest' | 'manual' | 'change-kept' | 'held';

export interface Conflict {
  id: string;
  repository: string;
  tag: string;
  /** Registry id → the digest it held when the conflict was found (null: absent). */
  digests: Record<string, string | null>;
  resolution: ConflictResolution;
  resolvedDigest: string | null;
  detectedAt: string;
  resolvedAt: string | null;
}

export interface SyncStarted {
  executionId: string;
  coalesced: boolean;
}
