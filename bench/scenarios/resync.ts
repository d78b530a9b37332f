import { startRegistry } from '../../test/support/registry.js';
import { pushIdenticalTagSets } from '../lib/datasets.js';
import { alternate, type BenchContext, type Measurement } from '../lib/harness.js';
import { CpuMeter, descendantsOf } from '../lib/proc.js';
import { summarize } from '../lib/stats.js';
import { noopFloor } from '../runners/noop-floor.js';
import { skopeoSync } from '../runners/skopeo.js';

/** One no-op resync data set: `repositories` × `tagsPerRepository`, the same at both ends. */
export interface ResyncSize {
  repositories: number;
  tagsPerRepository: number;
}

/**
 * No-op resyncs at several sizes, regrelay against skopeo sync and the no-op floor
 * (a tag list and one HEAD per tag per side, noop-floor.ts) in one run: source and
 * destination hold the same tags byte for byte, so every run only finds that out.
 * The CPU each process used during its runs says where the time goes (regrelay, its
 * embedded PostgreSQL, the two registries).
 */
export async function resyncScenario(
  ctx: BenchContext,
  sizes: ResyncSize[],
): Promise<Measurement[]> {
  const out: Measurement[] = [await fixedCost(ctx)];
  for (const [i, size] of sizes.entries()) {
    const tags = size.repositories * size.tagsPerRepository;
    const [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    try {
      const prefix = `resync${i}`;
      await pushIdenticalTagSets([source, destination], { prefix, ...size });
      const repositories = Array.from({ length: size.repositories }, (_, r) => `${prefix}/r${r}`);
      const api = ctx.regrelay;
      const sourceId = await api.addRegistry(`bench-${prefix}-source`, source);
      const destinationId = await api.addRegistry(`bench-${prefix}-destination`, destination);
      const policyId = await api.addPolicy(
        `bench-${prefix}`,
        sourceId,
        [destinationId],
        [`${prefix}/**`],
      );
      const meter = new CpuMeter(async () => ({
        regrelay: [api.pid],
        postgres: await descendantsOf(api.pid),
        registries: [source.pid, destination.pid],
      }));
      out.push(
        ...(await alternate(
          ctx,
          `resync ${tags}`,
          ['regrelay', 'skopeo sync', 'floor'],
          {
            seconds: { unit: 's', better: 'lower' },
            cpuRegrelay: { unit: 'CPU s', better: 'lower' },
            cpuPostgres: { unit: 'CPU s', better: 'lower' },
            cpuRegistries: { unit: 'CPU s', better: 'lower' },
          },
          async (tool) => {
            await meter.start();
            let seconds: number;
            if (tool === 'regrelay') {
              const run = await api.run(policyId, ctx.runTimeoutMs);
              if (run.execution.counts.succeeded > 0)
                throw new Error(`the no-op resync copied ${run.execution.counts.succeeded}`);
              seconds = run.seconds;
            } else {
              const started = performance.now();
              if (tool === 'floor') await noopFloor(source, repositories, destination);
              else await skopeoSync(source, repositories, destination, ctx.runTimeoutMs);
              seconds = (performance.now() - started) / 1000;
            }
            const cpu = await meter.stop();
            return {
              seconds,
              cpuRegistries: cpu.registries,
              ...(tool === 'regrelay'
                ? { cpuRegrelay: cpu.regrelay, cpuPostgres: cpu.postgres }
                : {}),
            };
          },
        )),
      );
      await api.call('DELETE', `/policies/${policyId}`, undefined, 204);
      for (const id of [sourceId, destinationId])
        await api.call('DELETE', `/registries/${id}`, undefined, 204);
    } finally {
      await Promise.all([source.destroy(), destination.destroy()]);
    }
  }
  return out;
}

/**
 * What an execution costs with nothing to plan (a policy naming a repository the
 * source does not have): trigger, start, NOTIFY round trips, planning's own writes,
 * finishing. Every resync pays it once.
 */
async function fixedCost(ctx: BenchContext): Promise<Measurement> {
  const [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
  const api = ctx.regrelay;
  try {
    const sourceId = await api.addRegistry('bench-fixed-source', source);
    const destinationId = await api.addRegistry('bench-fixed-destination', destination);
    const policyId = await api.addPolicy('bench-fixed', sourceId, [destinationId], ['none/here']);
    const samples: number[] = [];
    for (let i = 0; i < 5 * ctx.rounds; i++)
      samples.push((await api.run(policyId, 60_000)).seconds);
    ctx.log(`  execution with nothing to do: ${samples.map((s) => s.toFixed(3)).join(' ')} s`);
    await api.call('DELETE', `/policies/${policyId}`, undefined, 204);
    for (const id of [sourceId, destinationId])
      await api.call('DELETE', `/registries/${id}`, undefined, 204);
    return {
      scenario: 'resync',
      tool: 'regrelay',
      metric: 'fixedSeconds',
      unit: 's',
      better: 'lower',
      summary: summarize(samples),
    };
  } finally {
    await Promise.all([source.destroy(), destination.destroy()]);
  }
}
