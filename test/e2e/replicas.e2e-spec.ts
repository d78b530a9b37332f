import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { TaskDto } from '../../src/replication/dto/execution.dto.js';
import { ImageBuilder } from '../support/image-builder.js';
import { NotificationSink } from '../support/notification-sink.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { expectPushedOnce, expectSameDigests } from '../support/replicated.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import {
  addPolicy,
  addRegistry,
  finished,
  tasks,
  trigger,
  type ApiCaller,
} from '../support/replication-api.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const TAGS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'];
const RUNS = ['split', 'killed', 'drained'] as const;

/** The pid part of a worker id (host:pid:random). */
const pidOf = (worker: string | null) => (worker ? Number(worker.split(':').at(-2)) : undefined);

/**
 * Several regrelay processes on one external PostgreSQL (its own Debian server), as on
 * Kubernetes: they split the work, a killed one's tasks are finished by the others
 * once their leases expire (and not before), a stopped one hands its tasks back, and
 * a cron tick fires once whatever the number of replicas.
 */
describe('several replicas on one PostgreSQL', () => {
  let cluster: PostgresCluster;
  let source: TestRegistry, destination: TestRegistry;
  let sink: NotificationSink;
  let sourceClient: RegistryClient;
  const processes: RegrelayProcess[] = [];
  const token = `replicas-${randomBytes(12).toString('hex')}`;
  let env: Record<string, string>;
  let a: RegrelayProcess, b: RegrelayProcess;
  let sourceId: string, destinationId: string;

  const start = async () => {
    const p = await startRegrelayProcess(env);
    processes.push(p);
    await p.waitReady();
    return p;
  };

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    sink = await NotificationSink.start();
    [source, destination] = await Promise.all([
      startRegistry(),
      startRegistry({ notifications: { url: sink.url } }),
    ]);
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    // Content of its own for each case: blobs already at the destination would be
    // mounted there in no time instead of copied.
    for (const name of RUNS)
      for (const tag of TAGS)
        await build.image(`${name}/app`, {
          tag,
          layers: [{ seed: `${name}-${tag}`, size: 2 * MiB }],
        });
    env = {
      DATABASE_URL: cluster.url,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_WORKERS: '2',
      REGRELAY_POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    };
    // One after the other: the first applies the migrations.
    a = await start();
    b = await start();
    const api = processCaller(a, token);
    sourceId = await addRegistry(api, 'source', source);
    destinationId = await addRegistry(api, 'destination', destination);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await sourceClient?.close();
    await Promise.all([source, destination].map((r) => r?.destroy()));
    await sink?.close();
    await cluster?.destroy();
  });

  /** A policy copying `name/app`'s tags, at `bytesPerSecond` per replica. */
  async function run(api: ApiCaller, name: (typeof RUNS)[number], bytesPerSecond: number) {
    const policy = await addPolicy(api, {
      name,
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: [`${name}/app`] },
      bandwidthLimit: bytesPerSecond,
    });
    return trigger(api, policy);
  }

  async function expectReplicated(name: (typeof RUNS)[number]): Promise<void> {
    const repository = `${name}/app`;
    await expectSameDigests(
      sourceClient,
      destination.url,
      TAGS.map((tag) => [repository, tag] as const),
    );
    await expectPushedOnce(
      sink,
      TAGS.map((tag) => `${repository}:${tag}`),
      `${name}/`,
    );
  }

  const runningOn = (all: TaskDto[], p: RegrelayProcess) =>
    all.filter((t) => t.status === 'running' && pidOf(t.worker) === p.child.pid);

  it('split the work between them', async () => {
    const api = processCaller(a, token);
    const id = await run(api, 'split', 4 * MiB);
    expect(await finished(api, id)).toMatchObject({
      status: 'succeeded',
      counts: { total: 8, succeeded: 8 },
    });
    const byWorker = new Map<number | undefined, number>();
    for (const t of await tasks(api, id))
      byWorker.set(pidOf(t.worker), (byWorker.get(pidOf(t.worker)) ?? 0) + 1);
    // Tasks done by each lease owner: both replicas took a share, nobody else did.
    expect([...byWorker.keys()].sort()).toEqual([a.child.pid, b.child.pid].sort());
    await expectReplicated('split');
  });

  it('finish the work of a killed replica once its leases expire, and not before', async () => {
    const api = processCaller(b, token);
    const id = await run(api, 'killed', MiB);
    const victims = await waitFor('a transfer under way on each replica', async () => {
      const all = await tasks(api, id);
      const onA = runningOn(all, a).filter((t) => t.bytesDone > 0);
      return onA.length && runningOn(all, b).length ? onA : undefined;
    });
    expect(await a.stop('SIGKILL')).toBe('SIGKILL');

    // Restarted against a shared database, a replica cannot tell a dead owner from a
    // slow one: what the killed process held stays its own until the lease expires.
    a = await start();
    const held = (await tasks(api, id)).filter((t) => victims.some((v) => v.id === t.id));
    for (const t of held)
      expect(t).toMatchObject({ status: 'running', worker: victims[0]!.worker });

    expect(await finished(api, id, 120_000)).toMatchObject({
      status: 'succeeded',
      counts: { total: 8, succeeded: 8 },
    });
    const after = await tasks(api, id);
    for (const v of victims) {
      const t = after.find((x) => x.id === v.id)!;
      expect(t.attempts).toBe(2); // the killed attempt counts
      expect(t.worker).not.toBe(v.worker);
    }
    await expectReplicated('killed');
  });

  it('drain on SIGTERM: a stopping replica hands its tasks back within the grace period', async () => {
    const api = processCaller(b, token);
    const id = await run(api, 'drained', MiB);
    const handed = await waitFor('a transfer under way on the replica to stop', async () => {
      const onA = runningOn(await tasks(api, id), a).filter((t) => t.bytesDone > 0);
      return onA.length ? onA : undefined;
    });
    // Exit 0: done before REGRELAY_SHUTDOWN_TIMEOUT_SECONDS, or it would have been 1.
    expect(await a.stop('SIGTERM')).toBe(0);
    const now = await tasks(api, id);
    for (const h of handed) {
      const t = now.find((x) => x.id === h.id)!;
      // Back in the queue with its attempt given back, or already taken by the other
      // (or, at the very last byte, finished before the signal came).
      const finishedFirst = t.status === 'succeeded' && t.worker === h.worker;
      expect(finishedFirst || t.worker === null || pidOf(t.worker) === b.child.pid).toBe(true);
    }
    expect(await finished(api, id, 120_000)).toMatchObject({
      status: 'succeeded',
      counts: { total: 8, succeeded: 8 },
    });
    for (const t of await tasks(api, id)) {
      expect({ tag: t.tag, attempts: t.attempts, reason: t.reason }).toEqual({
        tag: t.tag,
        attempts: 1,
        reason: null,
      });
      expect(pidOf(t.worker) === a.child.pid || pidOf(t.worker) === b.child.pid).toBe(true);
    }
    await expectReplicated('drained');
  });

  it('fire each cron tick once across replicas', async () => {
    const c = await start(); // the stopped one's replacement: two replicas again
    const api = processCaller(c, token);
    const policy = await addPolicy(api, {
      name: 'every-two-seconds',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['nothing/**'] }, // each run ends at once: no coalescing
      trigger: { type: 'cron', cron: '*/2 * * * * *' },
    });
    const ticks = () =>
      [b, c].flatMap((p) =>
        p
          .output()
          .split('\n')
          .filter((line) => line.includes('Cron tick triggered an execution'))
          .map(
            (line) => JSON.parse(line) as { policyId: string; tickAt: string; executionId: string },
          )
          .filter((tick) => tick.policyId === policy),
      );
    const seen = await waitFor('five ticks', async () =>
      ticks().length >= 5 ? ticks() : undefined,
    );
    // No tick acted on twice, by one replica or by both...
    expect(new Set(seen.map((t) => t.tickAt)).size).toBe(seen.length);
    expect(new Set(seen.map((t) => t.executionId)).size).toBe(seen.length);
    // ...and each is the one the database recorded for that instant.
    const recorded = await cluster.query<{ tick_at: Date; execution_id: string }>(
      `SELECT tick_at, execution_id FROM cron_tick WHERE policy_id = $1 AND kind = 'execution'`,
      [policy],
    );
    const byInstant = new Map(recorded.map((r) => [r.tick_at.toISOString(), r.execution_id]));
    for (const tick of seen) expect(byInstant.get(tick.tickAt)).toBe(tick.executionId);
  });
});
