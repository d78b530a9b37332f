import { startRegistry } from '../../test/support/registry.js';
import { pushIdenticalTagSets } from '../lib/datasets.js';
import type { BenchContext, Measurement } from '../lib/harness.js';
import { summarize } from '../lib/stats.js';
import type { Sizes } from './sizes.js';

/**
 * Scenario 6: what planning alone costs. Source and destination hold the same tags
 * (pushed byte for byte to both), so every execution is a no-op: it lists, resolves
 * and compares, and copies nothing. Measured for one repository's tags and for all
 * repositories, rounds interleaved, to show how the time grows with the tag count.
 */
export async function planningScenario(
  ctx: BenchContext,
  sizes: Sizes['planning'],
): Promise<Measurement[]> {
  const [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
  try {
    const prefix = 'plan';
    const started = performance.now();
    await pushIdenticalTagSets([source, destination], { prefix, ...sizes });
    ctx.log(
      `  planning data: ${sizes.repositories * sizes.tagsPerRepository} tags in both registries ` +
        `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    const api = ctx.regrelay;
    const sourceId = await api.addRegistry('bench-plan-source', source);
    const destinationId = await api.addRegistry('bench-plan-destination', destination);
    const cases = [
      { tags: sizes.tagsPerRepository, repositories: [`${prefix}/r0`] },
      { tags: sizes.tagsPerRepository * sizes.repositories, repositories: [`${prefix}/**`] },
    ];
    const policies = await Promise.all(
      cases.map((c) =>
        api.addPolicy(`bench-plan-${c.tags}`, sourceId, [destinationId], c.repositories),
      ),
    );
    const samples = cases.map(() => [] as number[]);
    for (let round = 0; round < ctx.rounds; round++) {
      for (const [i, c] of cases.entries()) {
        const { seconds, execution } = await api.run(policies[i]!, ctx.runTimeoutMs);
        if (execution.counts.succeeded > 0)
          throw new Error(
            `planning run copied ${execution.counts.succeeded} artifacts; expected none`,
          );
        samples[i]!.push(seconds);
        ctx.log(
          `  planning round ${round + 1}/${ctx.rounds} ${c.tags} tags: ${seconds.toFixed(2)} s`,
        );
      }
    }
    for (const id of policies) await api.call('DELETE', `/policies/${id}`, undefined, 204);
    for (const id of [sourceId, destinationId])
      await api.call('DELETE', `/registries/${id}`, undefined, 204);
    return cases.map((c, i) => ({
      scenario: 'planning',
      tool: 'regrelay' as const,
      metric: `noop${c.tags}`,
      unit: 's',
      better: 'lower' as const,
      summary: summarize(samples[i]!),
    }));
  } finally {
    await Promise.all([source.destroy(), destination.destroy()]);
  }
}
