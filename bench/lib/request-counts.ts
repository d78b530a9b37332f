/**
 * Requests regrelay made to registries during a run (BENCH_REQUESTS=1), from its own
 * `regrelay_registry_requests_total` counter: read before and after, printed as the
 * difference per registry, method and status, and per tag of the execution.
 */
export type RequestCounts = Map<string, number>;

const SERIES = /^regrelay_registry_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)$/;

/** The counter's series in a /metrics text, keyed `registry method status`. */
export function parseRequestCounts(metrics: string): RequestCounts {
  const counts: RequestCounts = new Map();
  for (const line of metrics.split('\n')) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    counts.set(`${labels.registry} ${labels.method} ${labels.status}`, Number(m[2]));
  }
  return counts;
}

/** Lines saying what changed from `before` to `after`, most requests first. */
export function describeRequests(
  before: RequestCounts,
  after: RequestCounts,
  tags: number,
): string[] {
  const deltas = [...after]
    .map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = deltas.reduce((sum, [, n]) => sum + n, 0);
  const per = Math.max(1, tags);
  return [
    `  registry requests: ${total} (${(total / per).toFixed(1)} per tag) for ${tags} tags`,
    ...deltas.map(
      ([key, n]) =>
        `    ${String(n).padStart(7)} ×  ${(n / per).toFixed(2).padStart(6)}/tag  ${key}`,
    ),
  ];
}
