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
import { alternate, type BenchContext, type Measurement, type MetricSpec } from '../lib/harness.js';
import type { RegrelayUnderTest } from '../lib/regrelay.js';
import { seededLayers } from '../lib/datasets.js';
import { percentile } from '../lib/stats.js';
import { PAIR_METRICS, pairRound } from './pair-hop.js';
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
  // Before the arrival: from the return of the manifest PUT at the source (the registry's own delay).
  notifyP50: SECONDS,
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
 * A dual-master pair whose two sides both send webhooks (pair-hop.ts).
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
  pushed: number;
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
        layers: seededLayers(`bench-webhook-${runId}-${i}`, sizes.layers, sizes.layerSize),
      });
      const pushed = Date.now();
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
        pushed,
        arrival,
        done,
        ...firstBlobBytes(proxy.seen.slice(seenFrom), `${REPOSITORY}:${tag}`),
        ...(await stages(api, sourceId, digest, tag)),
      });
    }
    /** The percentile over the pushes of `f`, milliseconds read as seconds. */
    const seconds = (f: (p: PushTimes) => number, at = 0.5) =>
      percentile(
        pushes.map((p) => f(p) / 1000),
        at,
      );
    logSlowest(ctx, pushes);
    return {
      firstByteP50: seconds((p) => p.firstByte - p.arrival),
      firstByteP99: seconds((p) => p.firstByte - p.arrival, 0.99),
      doneP50: seconds((p) => p.done - p.arrival),
      doneP99: seconds((p) => p.done - p.arrival, 0.99),
      toExecutionP50: seconds((p) => p.executionCreated - p.arrival),
      toStartP50: seconds((p) => p.executionStarted - p.executionCreated),
      toTaskP50: seconds((p) => p.taskStarted - p.executionStarted),
      toBytesP50: seconds((p) => p.firstByte - p.taskStarted),
      requestsBeforeBytes: percentile(
        pushes.map((p) => p.requestsBeforeBytes),
        0.5,
      ),
      notifyP50: seconds((p) => p.arrival - p.pushed),
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

/** Where the slowest push's time to its first byte went: the tail the p99 reports. */
function logSlowest(ctx: BenchContext, pushes: PushTimes[]): void {
  const slowest = pushes.reduce((a, b) =>
    b.firstByte - b.arrival > a.firstByte - a.arrival ? b : a,
  );
  const s = (from: number, to: number) => `${((to - from) / 1000).toFixed(3)} s`;
  ctx.log(
    `  slowest first byte ${s(slowest.arrival, slowest.firstByte)}: ` +
      `to the execution ${s(slowest.arrival, slowest.executionCreated)}, ` +
      `its start ${s(slowest.executionCreated, slowest.executionStarted)}, ` +
      `the copy's claim ${s(slowest.executionStarted, slowest.taskStarted)}, ` +
      `its first byte ${s(slowest.taskStarted, slowest.firstByte)}`,
  );
}

/**
 * The first blob byte of a push at the destination's proxy: the earliest first body
 * byte of an upload request (PATCH or PUT to /blobs/uploads/), and how many requests
 * reached the destination before the one that carried it (its checks, upload POSTs).
 */
function firstBlobBytes(
  seen: SeenRequest[],
  what: string,
): { firstByte: number; requestsBeforeBytes: number } {
  let first: SeenRequest | undefined;
  for (const r of seen) {
    if (r.method !== 'PATCH' && r.method !== 'PUT') continue;
    if (!r.url.includes('/blobs/uploads/') || r.firstBodyByteAt === undefined) continue;
    if (!first || r.firstBodyByteAt < first.firstBodyByteAt!) first = r;
  }
  if (!first) throw new Error(`no blob bytes of ${what} reached the empty destination`);
  // `seen` is in order of arrival at the proxy.
  return { firstByte: first.firstBodyByteAt!, requestsBeforeBytes: seen.indexOf(first) };
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
