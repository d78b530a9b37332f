import type { ReferrerSelection } from '../../oci/index.js';

/** Name patterns that select what a walk of the source looks at (see NameFilter). */
export interface NameFilters {
  repositories: string[];
  excludeRepositories: string[];
  tags: string[];
  excludeTags: string[];
}

/**
 * What a planned execution compares and copies: one source, its filters, the
 * destinations with their namespace mapping, and the rules for tags that differ and
 * tags that left the source. A policy is one; a topology's edges will be others.
 */
export interface ReplicationSpec {
  sourceRegistryId: string;
  filters: NameFilters;
  /** In order; a repository `r` lands at `namespace/r` (or `r` without one). */
  destinations: { registryId: string; namespace: string | null }[];
  override: boolean;
  deletion: boolean;
  /** Attached artifacts that travel with what is copied; absent: all. */
  referrers?: ReferrerSelection;
}
