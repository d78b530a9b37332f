import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isAlive, readPid } from '../../src/database/data-dir-lock.js';
import { RegistryClient } from '../../src/oci/index.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { expectSameDigests } from '../support/replicated.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import {
  addPolicy,
  addRegistry,
  execution,
  finished,
  tasks,
  trigger,
  type ApiCaller,
} from '../support/replication-api.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const TAGS = ['r1', 'r2'];

/**
 * What a stop or a crash does to the task that was running: a graceful stop gives it
 * back without spending an attempt; a process restarted on its own embedded database
 * takes over its dead predecessor's leases at once (the data-directory lock proves
 * the predecessor gone), instead of waiting for them to expire.
 */
describe('running tasks across a stop and a restart', () => {
  let source: TestRegistry;
  let sourceClient: RegistryClient;
  const processes: RegrelayProcess[] = [];
  const token = `restart-${randomBytes(12).toString('hex')}`;
  const start = async (env: Record<string, string>) => {
    const p = await startRegrelayProcess({
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_WORKERS: '1',
      REGRELAY_POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
      ...env,
    });
    processes.push(p);
    await p.waitReady();
    return p;
  };

  beforeAll(async () => {
    source = await startRegistry();
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    for (const tag of TAGS)
      await build.image('app', { tag, layers: [{ seed: `restart-${tag}`, size: 4 * MiB }] });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await sourceClient?.close();
    await source?.destroy();
  });

  /** A slow one-policy replication into `destination` (4 MiB per tag at 1 MiB/s). */
  async function slowRun(api: ApiCaller, destination: TestRegistry): Promise<string> {
    const policy = await addPolicy(api, {
      name: 'slow',
      sourceRegistryId: await addRegistry(api, 'source', source),
      destinations: [{ registryId: await addRegistry(api, 'destination', destination) }],
      bandwidthLimit: MiB,
    });
    return trigger(api, policy);
  }

  const transferring = (api: ApiCaller, id: string) =>
    waitFor('a transfer under way', async () =>
      (await tasks(api, id)).find((t) => t.status === 'running' && t.bytesDone > 0),
    );

  const expectIdentical = (destination: TestRegistry) =>
    expectSameDigests(
      sourceClient,
      destination.url,
      TAGS.map((tag) => ['app', tag] as const),
    );

  /** A database (shared, so no takeover) and a destination of the case's own. */
  function externalDatabase(extra: Record<string, string> = {}) {
    const c = {} as {
      database: TestDatabase;
      destination: TestRegistry;
      env: Record<string, string>;
    };
    beforeAll(async () => {
      c.database = await createTestDatabase();
      c.destination = await startRegistry();
      c.env = {
        DATABASE_URL: c.database.url,
        REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
        ...extra,
      };
    });
    afterAll(async () => {
      await c.destination?.destroy();
      await c.database?.drop();
    });
    return c;
  }

  describe('SIGTERM in the middle of a task', () => {
    const c = externalDatabase();

    it('hands the task back to the queue without spending an attempt', async () => {
      const first = await start(c.env);
      const api = processCaller(first, token);
      const id = await slowRun(api, c.destination);
      const victim = await transferring(api, id);
      expect(victim.attempts).toBe(1);
      expect(await first.stop('SIGTERM')).toBe(0);

      // An API-only replica shows the queue as the stop left it.
      const viewer = await start({ ...c.env, REGRELAY_WORKERS: '0' });
      const viewed = processCaller(viewer, token);
      const returned = (await tasks(viewed, id)).find((t) => t.id === victim.id)!;
      expect(returned).toMatchObject({
        status: 'pending',
        attempts: 0,
        worker: null,
        reason: 'returned to the queue at shutdown',
      });
      expect(await viewer.stop('SIGTERM')).toBe(0);

      const second = await start(c.env);
      const api2 = processCaller(second, token);
      expect(await finished(api2, id)).toMatchObject({
        status: 'succeeded',
        counts: { total: 2, succeeded: 2 },
      });
      const after = (await tasks(api2, id)).find((t) => t.id === victim.id)!;
      expect(after.attempts).toBe(1);
      await expectIdentical(c.destination);
      expect(await second.stop('SIGTERM')).toBe(0);
    });
  });

  describe('SIGTERM while planning, with another replica running', () => {
    // Ten minutes: the other replica adopts the planning at once or not in this test.
    const c = externalDatabase({ REGRELAY_TASK_LEASE_SECONDS: '600' });

    it('hands the execution back, and the other replica plans it at once', async () => {
      const gate = await startFaultProxy(source.url);
      let open!: () => void;
      gate.add({
        method: 'HEAD',
        path: /^\/v2\/app\/manifests\//,
        action: { kind: 'hold', until: new Promise<void>((resolve) => (open = resolve)) },
        times: 1000,
      });
      try {
        const planner = await start(c.env);
        const api = processCaller(planner, token);
        const policy = await addPolicy(api, {
          name: 'gated',
          sourceRegistryId: await addRegistry(api, 'gated-source', gate),
          destinations: [{ registryId: await addRegistry(api, 'destination', c.destination) }],
        });
        const id = await trigger(api, policy);
        await waitFor('planning to ask the source', async () =>
          gate.seen.some((r) => r.method === 'HEAD') ? true : undefined,
        );
        const other = await start(c.env);
        expect(await planner.stop('SIGTERM')).toBe(0);
        open();
        const done = await waitFor(
          'the other replica to plan and run it',
          async () => {
            const e = await execution(processCaller(other, token), id);
            return e.status === 'running' || e.status === 'pending' ? undefined : e;
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        );
        expect(done).toMatchObject({ status: 'succeeded', counts: { total: 2, succeeded: 2 } });
        await expectIdentical(c.destination);
        expect(await other.stop('SIGTERM')).toBe(0);
      } finally {
        open?.();
        await gate.close();
      }
    });
  });

  describe('SIGKILL, then a restart on the same embedded database', () => {
    let root: string;
    let destination: TestRegistry;
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'regrelay-restart-'));
      await chmod(root, 0o755); // as root, the embedded PostgreSQL's user must enter it
      destination = await startRegistry();
    });
    afterAll(async () => {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
      const orphan = readPid(join(root, 'data', 'postgres', 'postmaster.pid'));
      if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGINT');
      await destination?.destroy();
      await rm(root, { recursive: true, force: true });
    });

    it('takes over the dead instance’s running task at once', async () => {
      // Leases of ten minutes: without the takeover the task would wait that long.
      const env = {
        REGRELAY_DATA_DIR: join(root, 'data'),
        REGRELAY_TASK_LEASE_SECONDS: '600',
        LOG_LEVEL: 'info',
      };
      const first = await start(env);
      const api = processCaller(first, token);
      const id = await slowRun(api, destination);
      const victim = await transferring(api, id);
      expect(await first.stop('SIGKILL')).toBe('SIGKILL');

      const second = await start(env);
      const api2 = processCaller(second, token);
      const done = await waitFor(
        'the execution to finish',
        async () => {
          const e = await execution(api2, id);
          return e.status === 'running' ? undefined : e;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(done).toMatchObject({ status: 'succeeded', counts: { total: 2, succeeded: 2 } });
      const after = (await tasks(api2, id)).find((t) => t.id === victim.id)!;
      // The killed attempt counts (the task might be what killed the process).
      expect(after.attempts).toBe(2);
      expect(after.worker).not.toBe(victim.worker);
      expect(second.output()).toContain('Took over the running tasks of the previous instance');
      await expectIdentical(destination);
      expect(await second.stop('SIGTERM')).toBe(0);
    });
  });
});
