import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { RegistryClient } from '../../src/oci/index.js';
import { RetentionPruner } from '../../src/replication/executions/retention-pruner.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  finished,
  json,
  runToSuccess,
} from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;

describe('triggers, coalescing and retention', () => {
  let database: TestDatabase;
  let a: TestApp, b: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let sourceId: string, destinationId: string;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    const client = new RegistryClient({ name: 'source', url: source.url });
    await new ImageBuilder(client).image('slow/app', {
      tag: 'v1',
      layers: [{ seed: 'slow', size: 6 * MiB }],
    });
    await client.close();
    database = await createTestDatabase();
    // Two replicas sharing one database, as on Kubernetes.
    const env = {
      REGRELAY_ADMIN_TOKEN: `replicas-${randomBytes(8).toString('hex')}`,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_POLL_INTERVAL_MS: '100',
      REGRELAY_EXECUTION_RETENTION_COUNT: '2',
    };
    a = await startTestApp(env, { database });
    b = await startTestApp(env, { database });
    sourceId = await addRegistry(a, 'source', source);
    destinationId = await addRegistry(a, 'destination', destination);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
    await Promise.all([source, destination].map((r) => r?.destroy()));
  });

  const query = <T>(sql: string, params: unknown[] = []) =>
    a.app.get(DataSource).query(sql, params) as Promise<T[]>;

  it('fires a cron policy exactly once per tick across two replicas', async () => {
    const id = await addPolicy(b, {
      name: 'every-two-seconds',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['nothing/**'] }, // each run ends at once: no coalescing
      trigger: { type: 'cron', cron: '*/2 * * * * *' },
    });
    // Both replicas schedule it (b learns of a's change by event or resync)...
    await waitFor('both replicas to schedule the policy', async () =>
      [a, b].every((app) => app.app.get(SchedulerRegistry).doesExist('cron', `policy:${id}`))
        ? true
        : undefined,
    );
    // ...and each tick still starts one execution.
    await waitFor(
      'four cron ticks',
      async () =>
        (
          await query<{ n: string }>('SELECT count(*) AS n FROM cron_tick WHERE policy_id = $1', [
            id,
          ])
        )[0]!.n >= '4'
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
    await json(
      await a.api(`/api/v1/policies/${id}`, { method: 'PATCH', json: { enabled: false } }),
    );
    await sleep(2500); // let a tick already in flight settle

    const ticks = await query<{ execution_id: string | null }>(
      'SELECT execution_id FROM cron_tick WHERE policy_id = $1',
      [id],
    );
    const executions = await query<{ id: string; trigger: string; status: string }>(
      'SELECT id, trigger, status FROM execution WHERE owner_id = $1',
      [id],
    );
    const triggered = ticks.filter((t) => t.execution_id).map((t) => t.execution_id);
    expect(triggered.length).toBeGreaterThanOrEqual(4);
    expect(new Set(triggered).size).toBe(triggered.length);
    expect(executions.map((e) => e.id).sort()).toEqual([...triggered].sort());
    expect(executions.every((e) => e.trigger === 'cron')).toBe(true);
  });

  it('coalesces triggers that arrive while an execution runs into one follow-up', async () => {
    const id = await addPolicy(a, {
      name: 'slow',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['slow/app'] },
      bandwidthLimit: 2 * MiB,
    });
    const trigger = async (app: TestApp) =>
      json<{ id: string; status: string; coalesced: boolean }>(
        await app.api(`/api/v1/policies/${id}/executions`, { method: 'POST' }),
        202,
      );
    const first = await trigger(a);
    await waitFor('the first execution to run', async () =>
      (await json<{ status: string }>(await a.api(`/api/v1/executions/${first.id}`))).status ===
      'running'
        ? true
        : undefined,
    );
    const second = await trigger(b);
    const third = await trigger(a);
    const fourth = await trigger(b);
    expect(first.coalesced).toBe(false);
    expect(second).toMatchObject({ status: 'pending', coalesced: false });
    expect(third).toMatchObject({ id: second.id, coalesced: true });
    expect(fourth).toMatchObject({ id: second.id, coalesced: true });

    expect((await finished(a, first.id)).status).toBe('succeeded');
    const followUp = await finished(a, second.id);
    expect(followUp.status).toBe('succeeded');
    expect(followUp.counts).toMatchObject({ total: 1, skipped: 1 });
    const all = await query<{ id: string }>('SELECT id FROM execution WHERE owner_id = $1', [id]);
    expect(all).toHaveLength(2);
  });

  it('prunes finished executions beyond the retention count, keeping the newest', async () => {
    const id = await addPolicy(a, {
      name: 'pruned',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['nothing/**'] },
    });
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) runs.push((await runToSuccess(a, id)).id);
    await a.app.get(RetentionPruner).prune();
    const kept = await query<{ id: string }>(
      'SELECT id FROM execution WHERE owner_id = $1 ORDER BY created_at',
      [id],
    );
    expect(kept.map((e) => e.id)).toEqual(runs.slice(2));
    expect((await a.api(`/api/v1/executions/${runs[0]}`)).status).toBe(404);
  });
});
