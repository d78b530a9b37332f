import { randomBytes } from 'node:crypto';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import type { EventPageDto } from '../../src/events/dto/event-inbox.dto.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../../test/support/image-builder.js';
import { startRegistry, type TestRegistry } from '../../test/support/registry.js';
import { waitFor } from '../../test/support/wait.js';
import { arrivalsOf } from '../lib/arrivals.js';
import { seededLayers } from '../lib/datasets.js';
import type { BenchContext, MetricSpec } from '../lib/harness.js';
import type { RegrelayUnderTest } from '../lib/regrelay.js';
import { percentile } from '../lib/stats.js';
import type { Sizes } from './sizes.js';

const REPOSITORY = 'bench/pair';
const SECONDS: MetricSpec = { unit: 's', better: 'lower' };

export const PAIR_METRICS: Record<string, MetricSpec> = {
  abHopP50: SECONDS,
  abHopP99: SECONDS,
  baHopP50: SECONDS,
  baHopP99: SECONDS,
};

type Side = 'a' | 'b';

/**
 * A dual-master pair whose two sides both send webhooks: a push on side A, timed from
 * the return of its manifest PUT until side B holds the digest (a HEAD every 20 ms),
 * then one on B until A holds it; `pairPushes` of each, one at a time.
 */
export async function pairRound(
  ctx: BenchContext,
  sizes: Sizes['webhook'],
): Promise<Record<string, number>> {
  const api = ctx.regrelay;
  const runId = randomBytes(4).toString('hex');
  const sides = new Map<Side, { registry: TestRegistry; client: RegistryClient; id: string }>();
  let topologyId: string | undefined;
  try {
    for (const name of ['a', 'b'] as const) {
      const secret = `bench-pair-${name}-${randomBytes(16).toString('hex')}`;
      const registry = await startRegistry({
        notifications: {
          url: api.url + DISTRIBUTION_WEBHOOK_PATH,
          headers: { Authorization: [`Bearer ${secret}`] },
        },
      });
      const client = new RegistryClient({ name: `bench-pair-${name}`, url: registry.url });
      const id = await api.addRegistry(`bench-pair-${runId}-${name}`, registry, {
        webhookSecret: secret,
      });
      sides.set(name, { registry, client, id });
    }
    const side = (name: Side) => sides.get(name)!;
    topologyId = (
      await api.call<{ id: string }>(
        'POST',
        '/topologies',
        {
          name: `bench-pair-${runId}`,
          kind: 'dual-master',
          registries: [side('a').id, side('b').id],
          conflict: 'prefer-first',
          deletion: false,
        },
        201,
      )
    ).id;
    await api.idle('topology', topologyId, ctx.runTimeoutMs);

    const hops: Record<Side, number[]> = { a: [], b: [] };
    for (let i = 0; i < sizes.pairPushes; i++) {
      for (const [from, to] of [
        ['a', 'b'],
        ['b', 'a'],
      ] as const) {
        const tag = `${from}${i}`;
        const image = await new ImageBuilder(side(from).client).image(REPOSITORY, {
          tag,
          layers: seededLayers(`bench-pair-${runId}-${tag}`, sizes.layers, sizes.layerSize),
        });
        const pushedAt = performance.now();
        const digest = image.descriptor.digest;
        const arrived = await arrivalsOf(
          new Map([[to, side(to).client]]),
          REPOSITORY,
          tag,
          digest,
          pushedAt,
          ctx.runTimeoutMs,
        );
        hops[from].push(arrived.get(to)!);
        await api.idle('topology', topologyId, ctx.runTimeoutMs);
        // The copy's own notification from the other side opens that side's coalescing
        // window: the next push there must not find it already open.
        await echoHandled(api, side(to).id, digest, tag);
      }
    }
    return {
      abHopP50: percentile(hops.a, 0.5),
      abHopP99: percentile(hops.a, 0.99),
      baHopP50: percentile(hops.b, 0.5),
      baHopP99: percentile(hops.b, 0.99),
    };
  } finally {
    if (topologyId) await api.call('DELETE', `/topologies/${topologyId}`, undefined, 204);
    for (const s of sides.values()) await api.call('DELETE', `/registries/${s.id}`, undefined, 204);
    await Promise.all([...sides.values()].map((s) => s.client.close()));
    await Promise.all([...sides.values()].map((s) => s.registry.destroy()));
  }
}

/** Waits (bounded) until regrelay has processed the registry's notification of the digest. */
async function echoHandled(
  api: RegrelayUnderTest,
  registryId: string,
  digest: string,
  tag: string,
): Promise<void> {
  await waitFor(
    `the notification of the copy of ${tag} processed`,
    async () => {
      const events = await api.call<EventPageDto>(
        'GET',
        `/events?registryId=${registryId}&limit=20`,
      );
      return events.items.some((e) => e.digest === digest && e.processedAt) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}
