import type { ReferrerSelection, Variants } from '../../oci/index.js';

/** Name patterns that select what a walk of the source looks at (see NameFilter). */
export interface NameFilters {
  repositories: string[];
  excludeRepositories: string[];
  tags: string[];
  excludeTags: string[];
  /** Of the tags the patterns select, those in this semver range (see TagSelection). */
  semver?: string | null;
  /** Per repository, the N most recently pushed of the selected tags. */
  latest?: number | null;
  /** Of an OCI + Nydus index, the entries copied; absent: all. */
  variants?: Variants;
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
