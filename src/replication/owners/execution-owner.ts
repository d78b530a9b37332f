import type { ReferrerSelection, Variants } from '../../oci/index.js';

/**
 * What an execution belongs to. At most one execution of an owner runs and one waits;
 * coalescing joins only executions of the same owner. Policies own their runs; a
 * one-off copy (POST /api/v1/copies) is its own owner, so copies never wait for each
 * other; topologies and promotion stages own theirs (their modules register them
 * with ExecutionOwners).
 */
export const OWNER_KINDS = ['policy', 'copy', 'topology', 'promotion'] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

export interface ExecutionOwner {
  kind: OwnerKind;
  id: string;
  /**
   * A part of the owner that runs on its own (a tree topology's edge: the parent
   * registry's id); one execution runs and one waits per (owner, lane). Absent: the
   * owner's only lane.
   */
  lane?: string;
}

/** How an owner's tasks run; kept on the execution, refreshed when the owner changes. */
export interface ExecutionSettings {
  /** Replace a destination tag that points at another digest. */
  override: boolean;
  /** Bytes per second across the execution's transfers (per process); null: unlimited. */
  bandwidthLimit: number | null;
  /** Most tasks of the execution running at once, across replicas; null: no limit. */
  maxConcurrency: number | null;
  /** Attached artifacts (signatures, SBOMs…) copied with each artifact; absent or null: all. */
  referrers?: ReferrerSelection | null;
  /** Of an OCI + Nydus index, the entries copied; absent or null: all. */
  variants?: Variants | null;
}

export function policyOwner(policyId: string): ExecutionOwner {
  return { kind: 'policy', id: policyId };
}

export function sameOwner(a: ExecutionOwner, b: ExecutionOwner): boolean {
  return a.kind === b.kind && a.id === b.id;
}
