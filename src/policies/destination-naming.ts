/**
 * Where a source repository lands at a destination: the destination's namespace,
 * if any, prefixed to the source path (`mirror` + `library/nginx` →
 * `mirror/library/nginx`).
 */
export function destinationRepository(namespace: string | null, sourceRepository: string): string {
  const prefix = namespace?.replace(/^\/+|\/+$/g, '');
  return prefix ? `${prefix}/${sourceRepository}` : sourceRepository;
}
