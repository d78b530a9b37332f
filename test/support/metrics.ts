import type { ApiCaller } from './replication-api.js';

/**
 * The value of one sample in the app's /metrics: the first line of `name` whose
 * labels include all of `labels` (0 when there is none, as Prometheus would read a
 * counter that has not moved yet).
 */
export async function metricValue(
  t: ApiCaller,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await t.api('/metrics', { token: null })).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        wanted.every((w) => l.includes(w)),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The sum of every sample of `name` in the app's /metrics (all label sets). */
export async function metricSum(t: ApiCaller, name: string): Promise<number> {
  const text = await (await t.api('/metrics', { token: null })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
