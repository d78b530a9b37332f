import { randomUUID } from 'node:crypto';
import type { TestRegistry } from '../../test/support/registry.js';
import type { BenchContext } from '../lib/harness.js';
import { CpuMeter, cpuSecondsOf, descendantsOf, rssOf, sampleRss } from '../lib/proc.js';
import type { RegrelayUnderTest } from '../lib/regrelay.js';

export interface RegrelayRun {
  seconds: number;
  /** Peak RSS of the regrelay process during the copy minus its RSS just before. */
  rssGrowthBytes: number;
  /** CPU seconds the regrelay process used for the copy (its share of the two cores). */
  cpuSeconds: number;
  /** CPU seconds of its PostgreSQL and of the registries named by `registries`, during the copy. */
  cpuPostgres: number;
  cpuRegistries: number;
  /** A second execution of the same policy once everything is there. */
  resyncSeconds?: number;
}

/**
 * One policy from the source to `destinations` (registered for this run), run once
 * through the REST API and the workers; with `resync`, run again as a no-op. The
 * policy and registries are removed afterwards so later runs plan only their own.
 */
export function regrelayCopy(
  ctx: BenchContext,
  sourceId: string,
  destinations: TestRegistry[],
  options: { repositories?: string[]; resync?: boolean; registries?: number[] } = {},
): Promise<RegrelayRun> {
  const api = ctx.regrelay;
  return withRunPolicy(api, sourceId, destinations, options.repositories, async (policyId) => {
    const meter = new CpuMeter(async () => ({
      postgres: await descendantsOf(api.pid),
      registries: options.registries ?? [],
    }));
    const idle = await rssOf(api.pid);
    const cpuBefore = await cpuSecondsOf(api.pid);
    await meter.start();
    const sampler = sampleRss(api.pid);
    const { seconds } = await api.run(policyId, ctx.runTimeoutMs);
    const peak = await sampler.stop();
    const cpu = await meter.stop();
    const result: RegrelayRun = {
      seconds,
      rssGrowthBytes: Math.max(0, peak - idle),
      cpuSeconds: (await cpuSecondsOf(api.pid)) - cpuBefore,
      cpuPostgres: cpu.postgres,
      cpuRegistries: cpu.registries,
    };
    if (options.resync) {
      const again = await api.run(policyId, ctx.runTimeoutMs);
      const copied = again.execution.counts.succeeded;
      if (copied > 0) throw new Error(`the no-op resync copied ${copied} artifacts`);
      result.resyncSeconds = again.seconds;
    }
    return result;
  });
}

/**
 * Registers `destinations` and a manual policy to them from `sourceId` for one run,
 * calls `use` with the policy's id, and removes both afterwards.
 */
export async function withRunPolicy<T>(
  api: RegrelayUnderTest,
  sourceId: string,
  destinations: TestRegistry[],
  repositories: string[] | undefined,
  use: (policyId: string) => Promise<T>,
  settings: { maxConcurrency?: number } = {},
): Promise<T> {
  const runId = randomUUID().slice(0, 8);
  const destinationIds = await Promise.all(
    destinations.map((d, i) => api.addRegistry(`bench-${runId}-d${i}`, d)),
  );
  const policyId = await api.addPolicy(
    `bench-${runId}`,
    sourceId,
    destinationIds,
    repositories,
    undefined,
    settings,
  );
  try {
    return await use(policyId);
  } finally {
    await api.call('DELETE', `/policies/${policyId}`, undefined, 204);
    await Promise.all(
      destinationIds.map((id) => api.call('DELETE', `/registries/${id}`, undefined, 204)),
    );
  }
}
