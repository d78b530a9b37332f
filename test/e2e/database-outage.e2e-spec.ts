import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
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
import { addPolicy, addRegistry, finished, tasks, trigger } from '../support/replication-api.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const COPIED = ['t1', 't2', 't3', 't4', 't5', 't6'];
const PLANNED = ['g1', 'g2', 'g3'];
const OUTAGE_MS = 15_000;

/**
 * PostgreSQL goes away for 15 s under a running regrelay (its own server, stopped with
 * `pg_ctl stop -m fast` as in a failover): tasks end while it is down, and a planning
 * run finishes then too. The process must wait it out, say 503 on readiness meanwhile,
 * and finish everything once the database is back.
 */
describe('a PostgreSQL outage in the middle of an execution', () => {
  let cluster: PostgresCluster;
  let source: TestRegistry, destination: TestRegistry;
  let gate: FaultProxy;
  let sink: NotificationSink;
  let sourceClient: RegistryClient;
  let regrelay: RegrelayProcess;
  const token = `outage-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    sink = await NotificationSink.start();
    [source, destination] = await Promise.all([
      startRegistry(),
      startRegistry({ notifications: { url: sink.url } }),
    ]);
    gate = await startFaultProxy(source.url);
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    for (const tag of COPIED)
      await build.image('app', { tag, layers: [{ seed: `outage-${tag}`, size: 2 * MiB }] });
    for (const tag of PLANNED)
      await build.image('gated/app', { tag, layers: [{ seed: `gated-${tag}`, size: 4096 }] });
    regrelay = await startRegrelayProcess({
      DATABASE_URL: cluster.url,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_WORKERS: '2',
      REGRELAY_POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    });
    await regrelay.waitReady();
  });
  afterAll(async () => {
    await regrelay?.stop('SIGKILL');
    await sourceClient?.close();
    await gate?.close();
    await Promise.all([source, destination].map((r) => r?.destroy()));
    await sink?.close();
    await cluster?.destroy();
  });

  /** Fails with what the process said if it has exited. */
  const alive = () => {
    if (regrelay.child.exitCode !== null || regrelay.child.signalCode !== null)
      throw new Error(
        `regrelay exited (${regrelay.child.exitCode}):\n${regrelay.output().slice(-6000)}`,
      );
  };
  const ready = async () => {
    const res = await fetch(`${regrelay.url}/health/ready`);
    await res.body?.cancel();
    return res.status;
  };

  it('lives through it, answers 503 meanwhile, and finishes with every digest identical', async () => {
    const api = processCaller(regrelay, token);
    const destinationId = await addRegistry(api, 'destination', destination);
    const copying = await addPolicy(api, {
      name: 'copying-through-the-outage',
      sourceRegistryId: await addRegistry(api, 'source', source),
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['app'] },
      bandwidthLimit: MiB, // 12 MiB in all: transfers go on, and end, while the database is down
    });
    const planning = await addPolicy(api, {
      name: 'planning-through-the-outage',
      sourceRegistryId: await addRegistry(api, 'gated-source', gate),
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['gated/app'] },
    });

    const copyRun = await trigger(api, copying);
    await waitFor('a task done and a transfer under way', async () => {
      const all = await tasks(api, copyRun);
      return all.some((t) => t.status === 'succeeded') &&
        all.some((t) => t.status === 'running' && t.bytesDone > 0)
        ? true
        : undefined;
    });
    // The second execution's planning stalls on the source until the database is down.
    let open!: () => void;
    gate.add({
      method: 'HEAD',
      path: /^\/v2\/gated\/app\/manifests\//,
      action: { kind: 'hold', until: new Promise<void>((resolve) => (open = resolve)) },
      times: 1000,
    });
    const planRun = await trigger(api, planning);
    await waitFor('planning to ask the source', async () =>
      gate.seen.some((r) => r.method === 'HEAD' && r.url.includes('/gated/app/manifests/'))
        ? true
        : undefined,
    );

    const down = Date.now();
    await cluster.stop();
    await waitFor('readiness to fail', async () => ((await ready()) === 503 ? true : undefined));
    open(); // planning ends now, with nowhere to write its tasks
    while (Date.now() - down < OUTAGE_MS) {
      alive();
      expect(await ready()).toBe(503);
      await sleep(500);
    }
    await cluster.start();

    await waitFor('readiness to recover', async () => ((await ready()) === 200 ? true : undefined));
    const [copied, planned] = [await finished(api, copyRun), await finished(api, planRun)];
    alive();
    expect(copied).toMatchObject({ status: 'succeeded', counts: { total: 6, succeeded: 6 } });
    expect(planned).toMatchObject({ status: 'succeeded', counts: { total: 3, succeeded: 3 } });
    // The outage cost no attempt: each task ran once.
    for (const t of [...(await tasks(api, copyRun)), ...(await tasks(api, planRun))])
      expect(t.attempts).toBe(1);

    await expectSameDigests(sourceClient, destination.url, [
      ...COPIED.map((tag) => ['app', tag] as const),
      ...PLANNED.map((tag) => ['gated/app', tag] as const),
    ]);
    await expectPushedOnce(sink, [
      ...COPIED.map((t) => `app:${t}`),
      ...PLANNED.map((t) => `gated/app:${t}`),
    ]);
    expect(regrelay.output()).not.toMatch(/Unhandled|unhandledRejection|Planning failed/);
    // Each component said once that it waits, not once per poll.
    const lines = (text: string) =>
      regrelay
        .output()
        .split('\n')
        .filter((line) => line.includes(text)).length;
    expect(lines('NOTIFY failed')).toBeLessThanOrEqual(1);
    for (const noise of [
      'Event listener reconnect failed',
      'Could not turn events into executions',
      'Execution runner pass failed',
      'Claiming tasks failed',
      'Renewing task leases failed',
      'Catching up nodes failed',
    ])
      expect([noise, lines(noise)]).toEqual([noise, 0]);
  });
});
