import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { DriftDto } from '../../src/replication/dto/drift.dto.js';
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

const KiB = 1024;

describe('reconciliation after regrelay was down', () => {
  let database: TestDatabase;
  let source: TestRegistry, east: TestRegistry, west: TestRegistry;
  let src: RegistryClient;
  let app: TestApp | undefined;
  const env = {
    REGRELAY_ADMIN_TOKEN: `reconcile-${randomBytes(8).toString('hex')}`,
    REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
    REGRELAY_POLL_INTERVAL_MS: '100',
  };

  beforeAll(async () => {
    [source, east, west] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    src = new RegistryClient({ name: 'source', url: source.url });
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await src?.close();
    await database?.drop();
    await Promise.all([source, east, west].map((r) => r?.destroy()));
  });

  it('finds what changed while it was down, reports it, and repairs it', async () => {
    const build = new ImageBuilder(src);
    const old = await build.image('app', { tag: 'old', layers: [{ seed: 'old', size: 4 * KiB }] });
    await build.image('app', { tag: 'stays', layers: [{ seed: 'stays', size: 4 * KiB }] });

    app = await startTestApp(env, { database });
    const policy = await addPolicy(app, {
      name: 'reconciled',
      sourceRegistryId: await addRegistry(app, 'source', source),
      destinations: [
        { registryId: await addRegistry(app, 'east', east) },
        { registryId: await addRegistry(app, 'west', west) },
      ],
      deletion: true,
      reconcile: { cron: '0 3 * * *', repair: true },
    });
    await runToSuccess(app, policy);
    const never = await json<DriftDto>(await app.api(`/api/v1/policies/${policy}/drift`));
    expect(never).toMatchObject({ checkedAt: null, destinations: [] });
    await app.close();
    app = undefined;

    // While regrelay is down: a push and a delete at the source, whose events are lost.
    const fresh = await build.image('app', {
      tag: 'new',
      layers: [{ seed: 'new', size: 4 * KiB }],
    });
    await src.deleteManifest('app', old.descriptor.digest);

    app = await startTestApp(env, { database });
    const report = await json<DriftDto>(
      await app.api(`/api/v1/policies/${policy}/drift`, { method: 'POST' }),
    );
    expect(report.destinations.map((d) => d.registry).sort()).toEqual(['east', 'west']);
    for (const d of report.destinations) {
      expect(d).toMatchObject({
        missing: 1,
        different: 0,
        extra: 1,
        inSync: false,
        samples: { missing: ['app:new'], extra: ['app:old'] },
      });
    }
    const metrics = await (await app.api('/metrics', { token: null })).text();
    expect(metrics).toContain(
      'regrelay_out_of_sync_artifacts{policy="reconciled",destination="east"} 2',
    );
    expect(
      (await json<DriftDto>(await app.api(`/api/v1/policies/${policy}/drift`))).checkedAt,
    ).toBe(report.checkedAt);

    // The repair execution covers exactly the drifted tags.
    expect(report.repairExecutionId).toEqual(expect.any(String));
    const repair = await finished(app, report.repairExecutionId!);
    expect(repair).toMatchObject({
      status: 'succeeded',
      trigger: 'reconcile',
      counts: { total: 4, succeeded: 4 },
    });
    for (const registry of [east, west]) {
      const client = new RegistryClient({ name: 'check', url: registry.url });
      expect((await client.listTags('app')).sort()).toEqual(['new', 'stays']);
      expect((await client.headManifest('app', 'new'))?.digest).toBe(fresh.descriptor.digest);
      await client.close();
    }

    const after = await json<DriftDto>(
      await app.api(`/api/v1/policies/${policy}/drift`, { method: 'POST' }),
    );
    expect(after.destinations.every((d) => d.inSync)).toBe(true);
    expect(after.repairExecutionId).toBeNull();
    const metricsAfter = await (await app.api('/metrics', { token: null })).text();
    expect(metricsAfter).toContain(
      'regrelay_out_of_sync_artifacts{policy="reconciled",destination="east"} 0',
    );
  });
});
