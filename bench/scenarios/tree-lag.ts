import { randomBytes } from 'node:crypto';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../../test/support/image-builder.js';
import { startRegistry, type TestRegistry } from '../../test/support/registry.js';
import { TREE_NODES, TREE_PARENT, type TreeNodeName } from '../../test/support/topology-model.js';
import { arrivalsOf } from '../lib/arrivals.js';
import { seededLayers } from '../lib/datasets.js';
import type { BenchContext, Measurement } from '../lib/harness.js';
import { bytesWrittenBy } from '../lib/proc.js';
import { percentile, summarize } from '../lib/stats.js';
import type { Sizes } from './sizes.js';

const PROVINCES = TREE_NODES.filter((n) => TREE_PARENT[n] === 'hq');
const CITIES = TREE_NODES.filter((n) => TREE_PARENT[n] && TREE_PARENT[n] !== 'hq');
const REPOSITORY = 'bench/tree';

/**
 * Scenario 7: a push at the root of a 1 → 2 → 4 tree, by its webhook alone, until
 * its digest is at every leaf. Pushes one at a time (each once the tree is idle);
 * the bench polls every node for the digest from the moment the manifest PUT at the
 * root returned. Also: the bytes the root served during the pushes' replication
 * (its /proc wchar), as a multiple of what was pushed: once per child of the root
 * is 2×, once per node would be 6×.
 */
export async function treeLagScenario(
  ctx: BenchContext,
  sizes: Sizes['tree'],
): Promise<Measurement[]> {
  const samples: Record<string, number[]> = {
    provinceLagP50: [],
    leafLagP50: [],
    leafLagP99: [],
    rootReadRatio: [],
  };
  for (let round = 0; round < ctx.rounds; round++) {
    const figures = await oneRound(ctx, sizes);
    for (const [metric, value] of Object.entries(figures)) samples[metric]!.push(value);
    ctx.log(
      `  tree round ${round + 1}/${ctx.rounds}: ` +
        Object.entries(figures)
          .map(([k, v]) => `${k}=${v.toFixed(3)}`)
          .join(' '),
    );
  }
  const units: Record<string, { unit: string; better: 'lower' | 'higher' }> = {
    provinceLagP50: { unit: 's', better: 'lower' },
    leafLagP50: { unit: 's', better: 'lower' },
    leafLagP99: { unit: 's', better: 'lower' },
    rootReadRatio: { unit: '× pushed', better: 'lower' },
  };
  return Object.entries(samples).map(([metric, values]) => ({
    scenario: 'tree',
    tool: 'regrelay' as const,
    metric,
    ...units[metric]!,
    summary: summarize(values),
  }));
}

async function oneRound(ctx: BenchContext, sizes: Sizes['tree']): Promise<Record<string, number>> {
  const api = ctx.regrelay;
  const secret = `bench-tree-${randomBytes(16).toString('hex')}`;
  const registries = new Map<TreeNodeName, TestRegistry>();
  const clients = new Map<TreeNodeName, RegistryClient>();
  const ids = new Map<TreeNodeName, string>();
  const runId = randomBytes(4).toString('hex');
  let topologyId: string | undefined;
  try {
    registries.set(
      'hq',
      await startRegistry({
        notifications: {
          url: api.url + DISTRIBUTION_WEBHOOK_PATH,
          headers: { Authorization: [`Bearer ${secret}`] },
        },
      }),
    );
    for (const name of [...PROVINCES, ...CITIES]) registries.set(name, await startRegistry());
    for (const [name, registry] of registries) {
      clients.set(name, new RegistryClient({ name, url: registry.url }));
      const extra = name === 'hq' ? { webhookSecret: secret } : {};
      ids.set(name, await api.addRegistry(`bench-tree-${runId}-${name}`, registry, extra));
    }
    const created = await api.call<{ id: string }>(
      'POST',
      '/topologies',
      {
        name: `bench-tree-${runId}`,
        kind: 'tree',
        nodes: [...registries.keys()].map((name) => ({
          registryId: ids.get(name),
          parent: TREE_PARENT[name] ? ids.get(TREE_PARENT[name]) : null,
        })),
      },
      201,
    );
    topologyId = created.id;
    await api.idle('topology', topologyId, ctx.runTimeoutMs);

    const build = new ImageBuilder(clients.get('hq')!);
    const hq = registries.get('hq')!;
    const below = new Map([...clients].filter(([name]) => name !== 'hq'));
    const province: number[] = [];
    const leaf: number[] = [];
    let pushedBytes = 0;
    let served = 0;
    for (let i = 0; i < sizes.pushes; i++) {
      const layers = seededLayers(`bench-tree-${runId}-${i}`, sizes.layers, sizes.layerSize);
      const before = await bytesWrittenBy(hq.pid);
      const image = await build.image(REPOSITORY, { tag: `p${i}`, layers });
      const pushedAt = performance.now();
      const arrivals = await arrivalsOf(
        below,
        REPOSITORY,
        `p${i}`,
        image.descriptor.digest,
        pushedAt,
      );
      await api.idle('topology', topologyId, ctx.runTimeoutMs);
      served += (await bytesWrittenBy(hq.pid)) - before;
      pushedBytes += image.blobs.reduce((n, b) => n + b.size, 0) + image.bytes.byteLength;
      for (const name of PROVINCES) province.push(arrivals.get(name)!);
      for (const name of CITIES) leaf.push(arrivals.get(name)!);
    }
    return {
      provinceLagP50: percentile(province, 0.5),
      leafLagP50: percentile(leaf, 0.5),
      leafLagP99: percentile(leaf, 0.99),
      rootReadRatio: served / pushedBytes,
    };
  } finally {
    if (topologyId) await api.call('DELETE', `/topologies/${topologyId}`, undefined, 204);
    for (const id of ids.values()) await api.call('DELETE', `/registries/${id}`, undefined, 204);
    await Promise.all([...clients.values()].map((c) => c.close()));
    await Promise.all([...registries.values()].map((r) => r.destroy()));
  }
}
