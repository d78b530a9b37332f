/** Replication lag per policy and destination, read from regrelay's Prometheus histogram. */
export interface LagSummary {
  policy: string;
  destination: string;
  count: number;
  meanSeconds: number;
  /** The histogram bucket bound under which 95 % of arrivals fell (Infinity: above the largest). */
  p95AtMostSeconds: number;
}

const METRIC = 'regrelay_replication_lag_seconds';
const LINE = /^(regrelay_replication_lag_seconds_(?:bucket|sum|count))\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/**
 * Reads `regrelay_replication_lag_seconds` (event to arrival, for event-driven work)
 * out of the text exposition format. The figures are those of the replica that
 * answered, since it started.
 */
export function parseLag(exposition: string): LagSummary[] {
  const series = new Map<
    string,
    { policy: string; destination: string; sum: number; count: number; buckets: [number, number][] }
  >();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(METRIC)) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of m[2]!.matchAll(LABEL))
      labels[key!] = value!.replace(/\\(.)/g, '$1');
    const key = `${labels.policy}\u0000${labels.destination}`;
    const entry = series.get(key) ?? {
      policy: labels.policy ?? '',
      destination: labels.destination ?? '',
      sum: 0,
      count: 0,
      buckets: [],
    };
    const value = Number(m[3]);
    if (m[1]!.endsWith('_sum')) entry.sum = value;
    else if (m[1]!.endsWith('_count')) entry.count = value;
    else entry.buckets.push([labels.le === '+Inf' ? Infinity : Number(labels.le), value]);
    series.set(key, entry);
  }
  return [...series.values()]
    .filter((s) => s.count > 0)
    .map((s) => {
      const sorted = s.buckets.sort((a, b) => a[0] - b[0]);
      const p95 = sorted.find(([, cumulative]) => cumulative >= 0.95 * s.count)?.[0] ?? Infinity;
      return {
        policy: s.policy,
        destination: s.destination,
        count: s.count,
        meanSeconds: s.sum / s.count,
        p95AtMostSeconds: p95,
      };
    })
    .sort((a, b) => a.policy.localeCompare(b.policy) || a.destination.localeCompare(b.destination));
}
