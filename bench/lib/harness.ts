import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../../test/support/registry.js';
import type { RegrelayUnderTest } from './regrelay.js';
import { summarize, type Summary } from './stats.js';

const run = promisify(execFile);

export type Tool =
  | 'regrelay'
  | 'skopeo sync'
  | 'skopeo sync ×3 sequential'
  | 'skopeo sync ×3 parallel'
  | 'skopeo copy'
  | 'floor'
  // regrelay as one process, or as two processes on one PostgreSQL (scenario replicas);
  // capped: the policy holds both to as many tasks at once as one process runs
  | '1 replica'
  | '2 replicas'
  | '2 replicas, capped';

/** One measured quantity of one tool in one scenario, over all rounds. */
export interface Measurement {
  scenario: string;
  tool: Tool;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  summary: Summary;
}

export interface BenchContext {
  regrelay: RegrelayUnderTest;
  rounds: number;
  /** Bounds every single run (a hung copy fails the bench instead of stalling it). */
  runTimeoutMs: number;
  log(message: string): void;
}

/** One tool's figures from one run, by metric name. */
export type RunFigures = Record<string, number>;

export interface MetricSpec {
  unit: string;
  better: 'higher' | 'lower';
}

/**
 * Runs every tool once per round, rotating the order each round so that no tool is
 * always first (warm page cache, a quieter machine) or always last, then summarizes
 * each metric over the rounds.
 */
export async function alternate(
  ctx: BenchContext,
  scenario: string,
  tools: Tool[],
  metrics: Record<string, MetricSpec>,
  runOnce: (tool: Tool, round: number) => Promise<RunFigures>,
): Promise<Measurement[]> {
  const samples = new Map<string, number[]>();
  // BENCH_TOOLS=regrelay iterates on regrelay alone (the report then has no ratios).
  const only = process.env.BENCH_TOOLS?.split(',');
  const chosen = only ? tools.filter((t) => only.includes(t)) : tools;
  for (let round = 0; round < ctx.rounds; round++) {
    const order = chosen.map((_, i) => chosen[(i + round) % chosen.length]!);
    for (const tool of order) {
      // Every run starts with the disk quiet: the previous run's writes and removed
      // registries are flushed now, not in the middle of the next tool's run (where
      // they would slow PostgreSQL's commits and the registries' writes).
      await run('sync');
      const figures = await runOnce(tool, round);
      ctx.log(
        `  ${scenario} round ${round + 1}/${ctx.rounds} ${tool}: ` +
          Object.entries(figures)
            .map(([k, v]) => `${k}=${v.toFixed(2)}`)
            .join(' '),
      );
      for (const [metric, value] of Object.entries(figures)) {
        if (!metrics[metric]) throw new Error(`metric ${metric} has no unit`);
        const key = `${tool}\u0000${metric}`;
        samples.set(key, [...(samples.get(key) ?? []), value]);
      }
    }
  }
  // In the order the metrics are declared, each in the tools' order: a metric only
  // some tools report does not move to the end because another tool ran first.
  const out: Measurement[] = [];
  for (const [metric, spec] of Object.entries(metrics)) {
    for (const tool of chosen) {
      const values = samples.get(`${tool}\u0000${metric}`);
      if (values) out.push({ scenario, tool, metric, ...spec, summary: summarize(values) });
    }
  }
  return out;
}

/** Fresh, empty destination registries for one run, removed afterwards. */
export async function withDestinations<T>(
  count: number,
  fn: (destinations: TestRegistry[]) => Promise<T>,
): Promise<T> {
  const destinations = await Promise.all(Array.from({ length: count }, () => startRegistry()));
  try {
    return await fn(destinations);
  } finally {
    await Promise.all(destinations.map((d) => d.destroy()));
  }
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}
