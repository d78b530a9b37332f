/**
 * Token scopes: `repository:NAME:pull,push`, `registry:catalog:*`. Built here only,
 * so actions stay in one canonical order and cache keys match.
 */
export type Action = 'pull' | 'push' | 'delete' | '*';

const ORDER: Action[] = ['pull', 'push', 'delete', '*'];

export function repositoryScope(repository: string, ...actions: Action[]): string {
  const sorted = ORDER.filter((a) => actions.includes(a));
  return `repository:${repository}:${sorted.join(',')}`;
}

export const CATALOG_SCOPE = 'registry:catalog:*';

/**
 * Merges scope lists, joining the actions of the same resource. The resource name may
 * contain ':' (`host:port/name`), so split on the last ':' only.
 */
export function mergeScopes(...lists: string[][]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of lists.flat()) {
    if (!scope) continue;
    const at = scope.lastIndexOf(':');
    if (at <= 0) continue;
    const resource = scope.slice(0, at);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const action of scope.slice(at + 1).split(',')) if (action) actions.add(action);
    byResource.set(resource, actions);
  }
  return [...byResource.entries()]
    .map(([resource, actions]) => {
      const known = ORDER.filter((a) => actions.has(a));
      const other = [...actions].filter((a) => !ORDER.includes(a as Action)).sort();
      return `${resource}:${[...known, ...other].join(',')}`;
    })
    .sort();
}
