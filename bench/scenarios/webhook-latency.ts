import { randomBytes } from 'node:crypto';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import type { EventPageDto } from '../../src/events/dto/event-inbox.dto.js';
import type { ExecutionDto, TaskPageDto } from '../../src/replication/dto/execution.dto.js';
import { startEnvelopeRelay, type EnvelopeRelay } from '../../test/support/envelope-relay.js';
import {
  startFaultProxy,
  type FaultProxy,
  type SeenRequest,
} from '../../test/support/fault-proxy.js';
import { ImageBuilder } from '../../test/support/image-builder.js';
import { startRegistry, type TestRegistry } from '../../test/support/registry.js';
import { waitFor } from '../../test/support/wait.js';
import { arrivalsOf } from '../lib/arrivals.js';
import { alternate, type BenchContext, type Measurement, type MetricSpec } from '../lib/harness.js';
import type { RegrelayUnderTest } from '../lib/regrelay.js';
import { percentile } from '../lib/stats.js';
import type { Sizes } from './sizes.js';

const REPOSITORY = 'bench/webhook';
const SECONDS: MetricSpec = { unit: 's', better: 'lower' };

export const WEBHOOK_METRICS: Record<string, MetricSpec> = {
  firstByteP50: SECONDS,
  firstByteP99: SECONDS,
  doneP50: SECONDS,
  doneP99: SECONDS,
  // Where the time to the first byte goes, stage by stage (medians over the pushes).
  toExecutionP50: SECONDS,
  toStartP50: SECONDS,
  toTaskP50: SECONDS,
  toBytesP50: SECONDS,
  requestsBeforeBytes: { unit: 'requests', better: 'lower' },
};

export const PAIR_METRICS: Record<string, MetricSpec> = {
  abHopP50: SECONDS,
  abHopP99: SECONDS,
  baHopP50: SECONDS,
  baHopP99: SECONDS,
};

/**
 * Scenario 11 (`webhook`), in two parts.
 *
 * A push at a source with an event-triggered policy to one empty destination: the
 * source's notifications pass a relay in the bench process that notes when each
 * reaches it and forwards it unchanged to regrelay's webhook; the destination is
 * registered by the URL of a proxy in the bench process that notes when each request
 * arrives, when its first body byte does and when the registry answers. Per push:
 * from the notification naming the manifest's digest to the first blob byte at the
 * destination, and to the answer of the manifest PUT there (done). regrelay's own
 * timestamps (the execution's createdAt and startedAt, the copy task's startedAt, all
 * the same wall clock) split the first of these into stages.
 *
 * A dual-master pair whose two sides both send webhooks: a push on one side, timed
 * from the return of its manifest PUT until the other side holds the digest (a HEAD
 * every 20 ms), then the other way round.
 *
 * Pushes go one at a time, each once the previous one is done and regrelay idle.
 */
export async function webhookScenario(
  ctx: BenchContext,
  sizes: Sizes['webhook'],
): Promise<Measurement[]> {
  return [
    ...(await alternate(ctx, 'webhook', ['regrelay'], WEBHOOK_METRICS, () =>
      webhookRound(ctx, sizes),
    )),
    ...(await alternate(ctx, 'dual-master pair', ['regrelay'], PAIR_METRICS, () =>
      pairRound(ctx, sizes),
    )),
  ];
}

/** One push's clocks (Date.now() milliseconds). */
interface PushTimes {
  arrival: number;
  firstByte: number;
  done: number;
  executionCreated: number;
  executionStarted: number;
  taskStarted: number;
  requestsBeforeBytes: number;
}

async function webhookRound(
  ctx: BenchContext,
  sizes: Sizes['webhook'],
): Promise<Record<string, number>> {
  const api = ctx.regrelay;
  const runId = randomBytes(4).toString('hex');
  const secret = `bench-webhook-${randomBytes(16).toString('hex')}`;
  const registries: TestRegistry[] = [];
  const ids: string[] = [];
  const clients: RegistryClient[] = [];
  let relay: EnvelopeRelay | undefined;
  let proxy: FaultProxy | undefined;
  let policyId: string | undefined;
  try {
    relay = await startEnvelopeRelay(api.url + DISTRIBUTION_WEBHOOK_PATH);
    const source = await startRegistry({
      notifications: { url: relay.url, headers: { Authorization: [`Bearer ${secret}`] } },
    });
    const destination = await startRegistry();
    registries.push(source, destination);
    proxy = await startFaultProxy(destination.url);
    const sourceId = await api.addRegistry(`bench-webhook-${runId}-source`, source, {
      webhookSecret: secret,
    });
    ids.push(sourceId);
    ids.push(await api.addRegistry(`bench-webhook-${runId}-destination`, proxy));
    policyId = await api.addPolicy(`bench-webhook-${runId}`, sourceId, [ids[1]!], [REPOSITORY], {
      type: 'event',
    });
    const sourceClient = new RegistryClient({ name: 'bench-webhook-source', url: source.url });
    const check = new RegistryClient({ name: 'bench-webhook-check', url: destination.url });
    clients.push(sourceClient, check);
    const build = new ImageBuilder(sourceClient);

    const pushes: PushTimes[] = [];
    for (let i = 0; i < sizes.pushes; i++) {
      const tag = `p${i}`;
      const seenFrom = proxy.seen.length;
      const deliveredFrom = relay.deliveries.length;
      const image = await build.image(REPOSITORY, {
        tag,
        layers: Array.from({ length: sizes.layers }, (_, l) => ({
          seed: `bench-webhook-${runId}-${i}-${l}`,
          size: sizes.layerSize,
        })),
      });
      const digest = image.descriptor.digest;
      const arrival = await waitFor(
        `the notification of ${REPOSITORY}:${tag}`,
        async () =>
          relay!.deliveries
            .slice(deliveredFrom)
            .find((d) => d.events.some((e) => e.action === 'push' && e.digest === digest))
            ?.receivedAt,
        { timeoutMs: 30_000, intervalMs: 5 },
      );
      const done = await waitFor(
        `${REPOSITORY}:${tag} written at the destination`,
        async () =>
          proxy!.seen
            .slice(seenFrom)
            .find(
              (r) =>
                r.method === 'PUT' &&
                r.url === `/v2/${REPOSITORY}/manifests/${tag}` &&
                r.status === 201,
            )?.answeredAt,
        { timeoutMs: ctx.runTimeoutMs, intervalMs: 5 },
      );
      const head = await check.headManifest(REPOSITORY, tag);
      if (head?.digest !== digest)
        throw new Error(`destination holds ${REPOSITORY}:${tag} as ${head?.digest}, not ${digest}`);
      await api.idle('policy', policyId, ctx.runTimeoutMs);
      pushes.push({
        arrival,
        done,
        ...firstBlobBytes(proxy.seen.slice(seenFrom), `${REPOSITORY}:${tag}`),
        ...(await stages(api, sourceId, digest, tag)),
      });
    }
    const seconds = (f: (p: PushTimes) => number) => pushes.map((p) => f(p) / 1000);
    const firstByte = seconds((p) => p.firstByte - p.arrival);
    const done = seconds((p) => p.done - p.arrival);
    return {
      firstByteP50: percentile(firstByte, 0.5),
      firstByteP99: percentile(firstByte, 0.99),
      doneP50: percentile(done, 0.5),
      doneP99: percentile(done, 0.99),
      toExecutionP50: percentile(
        seconds((p) => p.executionCreated - p.arrival),
        0.5,
      ),
      toStartP50: percentile(
        seconds((p) => p.executionStarted - p.executionCreated),
        0.5,
      ),
      toTaskP50: percentile(
        seconds((p) => p.taskStarted - p.executionStarted),
        0.5,
      ),
      toBytesP50: percentile(
        seconds((p) => p.firstByte - p.taskStarted),
        0.5,
      ),
      requestsBeforeBytes: percentile(
        pushes.map((p) => p.requestsBeforeBytes),
        0.5,
      ),
    };
  } finally {
    if (policyId) await api.call('DELETE', `/policies/${policyId}`, undefined, 204);
    for (const id of ids) await api.call('DELETE', `/registries/${id}`, undefined, 204);
    await Promise.all(clients.map((c) => c.close()));
    await relay?.close();
    await proxy?.close();
    await Promise.all(registries.map((r) => r.destroy()));
  }
}

/**
 * The first blob byte of a push at the destination's proxy: the earliest first body
 * byte of an upload request (PATCH or PUT to /blobs/uploads/), and how many requests
 * reached the destination before it (the destination checks, the upload's POST).
 */
function firstBlobBytes(
  seen: SeenRequest[],
  what: string,
): { firstByte: number; requestsBeforeBytes: number } {
  const carrying = seen
    .filter(
      (r) =>
        (r.method === 'PATCH' || r.method === 'PUT') &&
        r.url.includes('/blobs/uploads/') &&
        r.firstBodyByteAt !== undefined,
    )
    .map((r) => r.firstBodyByteAt!);
  if (!carrying.length) throw new Error(`no blob bytes of ${what} reached the empty destination`);
  const firstByte = Math.min(...carrying);
  return { firstByte, requestsBeforeBytes: seen.filter((r) => r.at < firstByte).length };
}

/** regrelay's own clocks for the push: its execution's creation and start, its copy's claim. */
async function stages(
  api: RegrelayUnderTest,
  sourceId: string,
  digest: string,
  tag: string,
): Promise<Pick<PushTimes, 'executionCreated' | 'executionStarted' | 'taskStarted'>> {
  const events = await api.call<EventPageDto>('GET', `/events?registryId=${sourceId}&limit=20`);
  const executionId = events.items.find((e) => e.digest === digest && e.action === 'push')
    ?.executionIds?.[0];
  if (!executionId) throw new Error(`the event of ${tag} (${digest}) fed no execution`);
  const execution = await api.call<ExecutionDto>('GET', `/executions/${executionId}`);
  const tasks = await api.call<TaskPageDto>('GET', `/executions/${executionId}/tasks?limit=50`);
  const task = tasks.items.find((t) => t.operation === 'copy' && t.tag === tag);
  if (!execution.startedAt || !task?.startedAt)
    throw new Error(`execution ${executionId} has no started copy of ${tag}`);
  return {
    executionCreated: Date.parse(execution.createdAt),
    executionStarted: Date.parse(execution.startedAt),
    taskStarted: Date.parse(task.startedAt),
  };
}

type Side = 'a' | 'b';

async function pairRound(
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
          layers: Array.from({ length: sizes.layers }, (_, l) => ({
            seed: `bench-pair-${runId}-${tag}-${l}`,
            size: sizes.layerSize,
          })),
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
