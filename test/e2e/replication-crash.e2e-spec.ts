import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { NotificationSink } from '../support/notification-sink.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import { addPolicy, addRegistry, finished, tasks, trigger } from '../support/replication-api.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const TAGS = ['t1', 't2', 't3', 't4', 't5', 't6'];

describe('a worker process killed mid-execution', () => {
  let database: TestDatabase;
  let source: TestRegistry, destination: TestRegistry;
  let sink: NotificationSink;
  let sourceClient: RegistryClient;
  const processes: RegrelayProcess[] = [];
  const token = `crash-test-${randomBytes(12).toString('hex')}`;
  let env: Record<string, string>;

  beforeAll(async () => {
    sink = await NotificationSink.start();
    [source, destination] = await Promise.all([
      startRegistry(),
      startRegistry({ notifications: { url: sink.url } }),
    ]);
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_WORKERS: '2',
      REGRELAY_TASK_LEASE_SECONDS: '5',
      REGRELAY_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    };
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    for (const tag of TAGS)
      await build.image('app', { tag, layers: [{ seed: `crash-${tag}`, size: 2 * MiB }] });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await sourceClient?.close();
    await Promise.all([source, destination].map((r) => r?.destroy()));
    await sink?.close();
    await database?.drop();
  });

  it('is finished by another process: every digest right, no tag written twice', async () => {
    const first = await startRegrelayProcess(env);
    processes.push(first);
    await first.waitReady();
    const api = processCaller(first, token);
    const policy = await addPolicy(api, {
      name: 'crash',
      sourceRegistryId: await addRegistry(api, 'source', source),
      destinations: [{ registryId: await addRegistry(api, 'destination', destination) }],
      bandwidthLimit: 2 * MiB, // about six seconds of copying in all
    });
    const id = await trigger(api, policy);
    const victim = await waitFor('a transfer under way after one task finished', async () => {
      const all = await tasks(api, id);
      const running = all.find((t) => t.status === 'running' && t.bytesDone > 0);
      return all.some((t) => t.status === 'succeeded') && running ? running : undefined;
    });
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    const second = await startRegrelayProcess(env);
    processes.push(second);
    await second.waitReady();
    const api2 = processCaller(second, token);
    const done = await finished(api2, id, 120_000);
    expect(done.status).toBe('succeeded');
    expect(done.counts).toMatchObject({ total: 6, succeeded: 6 });

    const after = await tasks(api2, id);
    // The task the dead worker held was taken over after its lease expired.
    expect(after.find((t) => t.id === victim.id)?.attempts).toBe(2);
    const check = new RegistryClient({ name: 'check', url: destination.url });
    for (const tag of TAGS) {
      expect((await check.headManifest('app', tag))?.digest).toBe(
        (await sourceClient.headManifest('app', tag))?.digest,
      );
    }
    await check.close();
    // The registry's own account: each tag was pushed exactly once.
    const pushes = await waitFor('a push event for every tag', async () => {
      const seen = sink.tagPushes();
      return TAGS.every((tag) => seen.includes(`app:${tag}`)) ? seen : undefined;
    });
    expect(pushes.sort()).toEqual(TAGS.map((tag) => `app:${tag}`));
  });
});
