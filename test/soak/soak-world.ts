import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/common/free-port.js';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { NotificationSink } from '../support/notification-sink.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { startRegistry, type RegistryOptions, type TestRegistry } from '../support/registry.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import type { ApiCaller } from '../support/replication-api.js';

const WEBHOOK_SECRET = `soak-webhook-${randomBytes(12).toString('hex')}`;
/** The destinations' names in regrelay. */
export const DESTINATION_A = 'destination-a-through-faults';
export const DESTINATION_B = 'destination-b-restarted';

/** A registry that can be restarted at the same address with the same content. */
export interface RestartableRegistry {
  readonly url: string;
  restarts: number;
  restart(downMs: number): Promise<void>;
  destroy(): Promise<void>;
}

/** A regrelay replica at a fixed port, so the registries' notifications find it again. */
export interface Replica {
  readonly name: string;
  readonly port: number;
  process: RegrelayProcess;
  kills: number;
  stops: number;
  api: ApiCaller;
}

/**
 * Everything the soak runs: its own PostgreSQL, a source registry notifying regrelay,
 * two destinations (one behind a fault proxy, one restarted now and then, each
 * reporting its pushes to a sink), a fault proxy in front of the source for the cron
 * policy, and two regrelay replicas on the one database: `steady` (never killed; its
 * RSS is watched) and `victim` (SIGKILLed and restarted).
 */
export class SoakWorld {
  readonly token = `soak-${randomBytes(16).toString('hex')}`;
  private constructor(
    readonly cluster: PostgresCluster,
    readonly source: TestRegistry,
    readonly sourceProxy: FaultProxy,
    readonly destinationA: TestRegistry,
    readonly proxyA: FaultProxy,
    readonly destinationB: RestartableRegistry,
    readonly sinks: { a: NotificationSink; b: NotificationSink },
    readonly steady: Replica,
    readonly victim: Replica,
    private readonly env: Record<string, string>,
    /** The built service (dist/main.js) the replicas run. */
    private readonly main: string,
  ) {}

  static async start(main: string, log: (message: string) => void): Promise<SoakWorld> {
    // What is started so far, undone in reverse if a later step fails.
    const undo: (() => Promise<unknown>)[] = [];
    const started = <T>(thing: T, stop: (t: T) => Promise<unknown>): T => {
      undo.unshift(() => stop(thing));
      return thing;
    };
    try {
      const cluster = started(await startPostgresCluster(), (c) => c.destroy());
      const sinks = {
        a: started(await NotificationSink.start(), (n) => n.close()),
        b: started(await NotificationSink.start(), (n) => n.close()),
      };
      const [steadyPort, victimPort] = [await freePort(), await freePort()];
      const source = started(
        await startRegistry({
          notifications: {
            url: `http://127.0.0.1:${steadyPort}${DISTRIBUTION_WEBHOOK_PATH}`,
            headers: { Authorization: [`Bearer ${WEBHOOK_SECRET}`] },
          },
        }),
        (r) => r.destroy(),
      );
      const destinationA = started(
        await startRegistry({ notifications: { url: sinks.a.url } }),
        (r) => r.destroy(),
      );
      const destinationB = started(
        await restartable({ notifications: { url: sinks.b.url } }),
        (r) => r.destroy(),
      );
      const proxyA = started(await startFaultProxy(destinationA.url), (p) => p.close());
      const sourceProxy = started(await startFaultProxy(source.url), (p) => p.close());
      const env = {
        DATABASE_URL: cluster.url,
        REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
        REGRELAY_WORKERS: '4',
        REGRELAY_TASK_LEASE_SECONDS: '10',
        REGRELAY_TASK_MAX_ATTEMPTS: '20',
        REGRELAY_POLL_INTERVAL_MS: '500',
        REGRELAY_EVENT_COALESCE_MS: '500',
        // Random deletes may take most of a repository at once; the guard is tested elsewhere.
        REGRELAY_DELETION_GUARD_SHARE: '1',
        REGRELAY_SHUTDOWN_TIMEOUT_SECONDS: '20',
        LOG_LEVEL: 'warn',
      };
      const world = new SoakWorld(
        cluster,
        source,
        sourceProxy,
        destinationA,
        proxyA,
        destinationB,
        sinks,
        { name: 'steady', port: steadyPort, kills: 0, stops: 0 } as Replica,
        { name: 'victim', port: victimPort, kills: 0, stops: 0 } as Replica,
        env,
        main,
      );
      undo.unshift(() =>
        Promise.all([world.steady, world.victim].map((r) => r.process?.stop('SIGKILL'))),
      );
      // One after the other: the first applies the migrations.
      await world.startReplica(world.steady);
      await world.startReplica(world.victim);
      log(`PostgreSQL on ${cluster.port}, replicas on ${steadyPort} and ${victimPort}`);
      return world;
    } catch (error) {
      for (const step of undo) await step().catch(() => undefined);
      throw error;
    }
  }

  /** The source, the destinations and the two policies (event-triggered, cron). */
  async configure(): Promise<{ eventPolicy: string; cronPolicy: string }> {
    const api = this.steady.api;
    const registry = async (name: string, url: string, extra: object = {}) =>
      (
        await json<{ id: string }>(
          await api.api('/api/v1/registries', {
            method: 'POST',
            json: { name, url, ...extra },
          }),
          201,
        )
      ).id;
    const source = await registry('source', this.source.url, { webhookSecret: WEBHOOK_SECRET });
    const faultySource = await registry('source-through-faults', this.sourceProxy.url);
    const a = await registry(DESTINATION_A, this.proxyA.url);
    const b = await registry(DESTINATION_B, this.destinationB.url);
    const policy = async (body: object) =>
      (
        await json<{ id: string }>(
          await api.api('/api/v1/policies', { method: 'POST', json: body }),
          201,
        )
      ).id;
    const eventPolicy = await policy({
      name: 'on-push',
      sourceRegistryId: source,
      destinations: [{ registryId: a }],
      filters: { repositories: ['soak/**'] },
      trigger: { type: 'event' },
      override: true,
      deletion: true,
      reconcile: null,
    });
    const cronPolicy = await policy({
      name: 'every-twenty-seconds',
      sourceRegistryId: faultySource,
      destinations: [{ registryId: b }],
      filters: { repositories: ['soak/**'] },
      trigger: { type: 'cron', cron: '*/20 * * * * *' },
      override: true,
      deletion: true,
      reconcile: null,
    });
    return { eventPolicy, cronPolicy };
  }

  async startReplica(replica: Replica): Promise<void> {
    const p = await startRegrelayProcess(
      { ...this.env, REGRELAY_ADMIN_TOKEN: this.token, PORT: String(replica.port) },
      this.main,
    );
    replica.process = p; // before it is ready: close() must be able to stop it
    await p.waitReady(120_000);
    replica.api = processCaller(p, this.token);
  }

  /** The replica's resident set size now (MiB), from /proc. */
  rssMiB(replica: Replica): number {
    const status = readFileSync(join('/proc', String(replica.process.child.pid), 'status'), 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    return Math.round((kib / 1024) * 10) / 10;
  }

  async close(): Promise<void> {
    await Promise.all([this.steady, this.victim].map((r) => r.process?.stop('SIGKILL')));
    await Promise.all([this.proxyA, this.sourceProxy].map((p) => p.close()));
    await Promise.all([this.source, this.destinationA, this.destinationB].map((r) => r.destroy()));
    await Promise.all([this.sinks.a.close(), this.sinks.b.close()]);
    await this.cluster.destroy();
  }
}

async function restartable(options: RegistryOptions): Promise<RestartableRegistry> {
  const first = await startRegistry(options);
  let current = first;
  const registry: RestartableRegistry = {
    url: first.url,
    restarts: 0,
    async restart(downMs: number) {
      await current.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      current = await startRegistry({ ...options, port: first.port, storageDir: first.storageDir });
      registry.restarts++;
    },
    async destroy() {
      await current.destroy(); // its configuration; the storage is the first one's
      await first.destroy();
    },
  };
  return registry;
}

export async function json<T>(res: Response, expected = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== expected)
    throw new Error(`expected HTTP ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Runs a policy now (202), through the steady replica. */
export async function trigger(world: SoakWorld, policyId: string): Promise<void> {
  await json(
    await world.steady.api.api(`/api/v1/policies/${policyId}/executions`, { method: 'POST' }),
    202,
  );
}
