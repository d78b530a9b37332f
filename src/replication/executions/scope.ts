import type { ExecutionScope } from './execution.entity.js';

/**
 * Joins two scopes of triggers that coalesce into one execution. `null` (the whole
 * policy) absorbs everything; an empty tag list (every tag of the repository)
 * absorbs named tags. Event times keep the earliest per tag.
 */
export function mergeScopes(
  a: ExecutionScope | null,
  b: ExecutionScope | null,
): ExecutionScope | null {
  if (a === null || b === null) return null;
  const repositories: Record<string, string[]> = { ...a.repositories };
  for (const [repository, tags] of Object.entries(b.repositories)) {
    const existing = repositories[repository];
    if (existing === undefined) repositories[repository] = [...tags];
    else if (existing.length === 0 || tags.length === 0) repositories[repository] = [];
    else repositories[repository] = [...new Set([...existing, ...tags])];
  }
  const digests: Record<string, string[]> = { ...a.digests };
  for (const [repository, list] of Object.entries(b.digests ?? {}))
    digests[repository] = [...new Set([...(digests[repository] ?? []), ...list])];
  const since: Record<string, string> = { ...a.since };
  for (const [key, at] of Object.entries(b.since ?? {})) {
    const known = since[key];
    if (known === undefined || Date.parse(at) < Date.parse(known)) since[key] = at;
  }
  const merged: ExecutionScope = { repositories };
  if (Object.keys(digests).length) merged.digests = digests;
  if (Object.keys(since).length) merged.since = since;
  return merged;
}
