/** Median and spread of repeated measurements: what the report prints. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every sample, in run order, so a reader can see drift across rounds. */
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, samples };
}

/** The nearest-rank percentile (`p` in 0–1). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('no values for a percentile');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** `12.3 (11.9–13.0)`: median with the observed range. */
export function formatSummary(s: Summary, digits = 1): string {
  const f = (n: number) => n.toFixed(digits);
  return s.samples.length > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

export const MiB = 1024 * 1024;
