import { expandBraces, globSegments, segmentMatches, type GlobSegment } from './glob-pattern.js';
import { REGEX_PREFIX } from './name-filter.js';

/** Why a same-registry destination namespace would feed the policy its own copies. */
export interface NamespaceOverlap {
  /** The include pattern that can select a repository under the namespace. */
  pattern: string;
  /** It is a regular expression, which cannot be checked against the namespace. */
  regex: boolean;
}

/**
 * A policy copying into its own source registry under `namespace` writes
 * `namespace/<repo>` for every selected `<repo>`. If such a name can itself be
 * selected, the next run copies it to `namespace/namespace/<repo>`, and so on until
 * names reach the registry's limit. This decides, for the repository filters,
 * whether any `namespace/<x>` could be selected:
 *
 * - no include pattern can match a name under `namespace/` → no overlap;
 * - an exclude glob matches every name under `namespace/` (e.g. `mirror/**`) →
 *   no overlap;
 * - otherwise the first include pattern that can is returned.
 *
 * It errs on the side of refusing: a `re:` include is assumed to reach under the
 * namespace unless an exclude glob covers it, and several excludes that only cover
 * it together are not noticed. The refusal says how to make the intent explicit.
 */
export function namespaceOverlap(
  namespace: string,
  include: readonly string[],
  exclude: readonly string[],
): NamespaceOverlap | undefined {
  const prefix = namespace.split('/');
  if (exclude.some((pattern) => coversAllUnder(pattern, prefix))) return undefined;
  for (const pattern of include) {
    if (pattern.startsWith(REGEX_PREFIX)) return { pattern, regex: true };
    if (alternatives(pattern).some((segments) => canMatchUnder(segments, 0, prefix, 0))) {
      return { pattern, regex: false };
    }
  }
  return undefined;
}

function alternatives(pattern: string): GlobSegment[][] {
  return expandBraces(pattern).map((alternative) => globSegments(pattern, alternative));
}

/** Can `segments[i..]` match `prefix[j..]` followed by at least one more segment? */
function canMatchUnder(segments: GlobSegment[], i: number, prefix: string[], j: number): boolean {
  // Whatever remains (a glob segment or `**`) can match some further segment.
  if (j === prefix.length) return i < segments.length;
  const segment = segments[i];
  if (!segment) return false;
  if (segment.globstar) {
    return canMatchUnder(segments, i + 1, prefix, j) || canMatchUnder(segments, i, prefix, j + 1);
  }
  return segmentMatches(segment.regex, prefix[j]!) && canMatchUnder(segments, i + 1, prefix, j + 1);
}

/** Does this exclude pattern match every name `prefix/<one or more segments>`? */
function coversAllUnder(pattern: string, prefix: string[]): boolean {
  if (pattern.startsWith(REGEX_PREFIX)) return false;
  return alternatives(pattern).some((segments) => {
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      // Consecutive `**` are merged, so a trailing one is the only thing left.
      if (segment.globstar) return i === segments.length - 1;
      if (i >= prefix.length || !segmentMatches(segment.regex, prefix[i]!)) return false;
    }
    return false;
  });
}
