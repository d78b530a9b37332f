import { Range, parse } from 'semver';
import { parseAttachedTag } from '../oci/index.js';
import { NameFilter } from './name-filter.js';

/** The tag filters of a policy (or of anything selecting tags as policies do). */
export interface TagFilters {
  tags: readonly string[];
  excludeTags: readonly string[];
  semver?: string | null;
  latest?: number | null;
}

/**
 * Which tags of a repository a walk selects: the name patterns, then (optionally) a
 * semver range over tags that are versions, then (optionally) only the `latest` N
 * most recently pushed (ranked per repository, see latest-tags.ts). Tags holding
 * attached artifacts (`sha256-<hex>…`) are never selected: they go with their subject.
 * `semver` and `latest` are retention-style: with deletion on, a tag they no longer
 * select is deleted where regrelay wrote it, though the source still has it.
 */
export class TagSelection {
  readonly names: NameFilter;
  private readonly range: Range | undefined;
  /** Per repository, only this many of the matching tags, the most recently pushed. */
  readonly latest: number | undefined;

  constructor(filters: TagFilters) {
    this.names = NameFilter.compile(filters.tags, filters.excludeTags);
    this.range = filters.semver ? new Range(filters.semver) : undefined;
    this.latest = filters.latest ?? undefined;
  }

  /** Selected by name and version (before any ranking by `latest`). */
  matches(tag: string): boolean {
    if (parseAttachedTag(tag) || !this.names.matches(tag)) return false;
    return !this.range || inRange(tag, this.range);
  }

  /** True when the name patterns select the tag (what delete propagation stood on before). */
  matchesName(tag: string): boolean {
    return !parseAttachedTag(tag) && this.names.matches(tag);
  }

  /** Whether a selection may drop a tag the name patterns select (retention-style). */
  get retains(): boolean {
    return this.range !== undefined || this.latest !== undefined;
  }
}

/** A tag as a version (`1.4.2`, `v1.4.2`, `1.4.2-rc.1`) within the range; others never are. */
function inRange(tag: string, range: Range): boolean {
  const version = parse(tag, { loose: true });
  return version !== null && range.test(version);
}
