import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, finished, json, tasks } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { executionsOf, inboxRows } from '../support/webhooks.js';

const KiB = 1024;
const SECRET = 'source-webhook-secret-for-the-push-test';

/**
 * The demonstration: a real distribution registry notifies regrelay of a
 * push, and nothing is triggered by hand; the new tag reaches both destinations with
 * the source's digest, through one event-triggered execution scoped to that tag.
 */
describe('a push at the source replicates by itself, through its notification', () => {
  let t: TestApp;
  let source: TestRegistry, east: TestRegistry, west: TestRegistry;
  let sourceClient: RegistryClient;
  let build: ImageBuilder;
  let sourceId: string, eastId: string, westId: string;

  beforeAll(async () => {
    // The registry needs regrelay's address for its notifications: the app starts first.
    t = await startTestApp();
    [source, east, west] = await Promise.all([
      startRegistry({
        notifications: {
          url: t.url + DISTRIBUTION_WEBHOOK_PATH,
          headers: { Authorization: [`Bearer ${SECRET}`] },
        },
      }),
      startRegistry(),
      startRegistry(),
    ]);
    sourceId = await addRegistry(t, 'source', source, { webhookSecret: SECRET });
    eastId = await addRegistry(t, 'east', east);
    westId = await addRegistry(t, 'west', west);
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    build = new ImageBuilder(sourceClient);
  });
  const eastRegistry = () => east;
  const westRegistry = () => west;

  afterAll(async () => {
    await t?.close();
    await sourceClient?.close();
    await Promise.all([source, east, west].map((r) => r?.destroy()));
  });

  it('stores the notifications of earlier pushes, which trigger nothing without an event policy', async () => {
    for (const tag of ['1.0', '2.0']) {
      await build.image('library/app', { tag, layers: [{ seed: `app-${tag}`, size: 24 * KiB }] });
    }
    const rows = await waitFor('the tag pushes to be stored and processed', async () => {
      const all = await inboxRows(t, sourceId);
      const pushes = all.filter((r) => r.action === 'push');
      return pushes.length === 2 && pushes.every((r) => r.processed_at) ? pushes : undefined;
    });
    expect(rows.map((r) => [r.repository, r.tag, r.execution_ids])).toEqual([
      ['library/app', '1.0', []],
      ['library/app', '2.0', []],
    ]);
  });

  it('copies a newly pushed tag to both destinations, and only that tag', async () => {
    const policyId = await addPolicy(t, {
      name: 'on-push',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: eastId }, { registryId: westId, namespace: 'mirror' }],
      filters: { repositories: ['library/**'], tags: ['*'] },
      trigger: { type: 'event' },
    });

    const pushed = await build.image('library/app', {
      tag: '3.0',
      layers: [
        { seed: 'app-1.0', size: 24 * KiB },
        { seed: 'app-3.0', size: 40 * KiB },
      ],
    });
    const digest = pushed.descriptor.digest;

    // Nothing is triggered by hand: the registry's notification does it.
    await waitFor(
      'library/app:3.0 at both destinations',
      async () => {
        const [a, b] = await Promise.all([
          skopeoRawDigest(east.host, 'library/app', '3.0'),
          skopeoRawDigest(west.host, 'mirror/library/app', '3.0'),
        ]);
        return a.digest === digest && b.digest === digest ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const executions = await executionsOf(t, policyId);
    expect(executions).toHaveLength(1);
    const done = await finished(t, executions[0]!.id);
    expect(done).toMatchObject({ trigger: 'event', status: 'succeeded' });
    // Scoped to the tag named: the tags pushed before are not even looked at.
    const planned = await tasks(t, done.id);
    expect(
      planned.map((p) => [p.sourceRepository, p.tag, p.destinationRegistry, p.status]),
    ).toEqual(
      expect.arrayContaining([
        ['library/app', '3.0', 'east', 'succeeded'],
        ['library/app', '3.0', 'west', 'succeeded'],
      ]),
    );
    expect(planned).toHaveLength(2);
    const eastClient = new RegistryClient({ name: 'east', url: east.url });
    try {
      expect(await eastClient.headManifest('library/app', '1.0')).toBeUndefined();
    } finally {
      await eastClient.close();
    }

    const row = (await inboxRows(t, sourceId)).find((r) => r.tag === '3.0');
    expect(row).toMatchObject({ action: 'push', digest, execution_ids: [done.id] });
    policy = policyId;
  });

  let policy: string;
  it('deletes at both destinations a tag deleted at the source, never a tag someone else pushed there', async () => {
    await json(
      await t.api(`/api/v1/policies/${policy}`, { method: 'PATCH', json: { deletion: true } }),
    );
    const doomed = await build.image('library/app', {
      tag: '4.0',
      layers: [{ seed: 'app-4.0', size: 8 * KiB }],
    });
    const east = new RegistryClient({ name: 'east', url: eastRegistry().url });
    const west = new RegistryClient({ name: 'west', url: westRegistry().url });
    try {
      await waitFor('library/app:4.0 at both destinations', async () =>
        (await east.headManifest('library/app', '4.0')) &&
        (await west.headManifest('mirror/library/app', '4.0'))
          ? true
          : undefined,
      );
      // Someone else's tag at a destination, on the same repository.
      await new ImageBuilder(east).image('library/app', {
        tag: 'theirs',
        layers: [{ seed: 'local', size: KiB }],
      });

      await sourceClient.deleteManifest('library/app', doomed.descriptor.digest);
      await waitFor('library/app:4.0 to disappear at both destinations', async () =>
        !(await east.headManifest('library/app', '4.0')) &&
        !(await west.headManifest('mirror/library/app', '4.0'))
          ? true
          : undefined,
      );
      // distribution reports a digest delete as one event per tag plus one naming only
      // the digest; the latter has the repository examined whole, which also brings
      // over 1.0 and 2.0 (pushed before the policy existed). Wait until all is done.
      await waitFor('every event handled and every execution finished', async () => {
        const rows = await inboxRows(t, sourceId);
        const digestDelete = rows.some((r) => r.action === 'delete' && !r.tag);
        const pending = !digestDelete || rows.some((r) => !r.processed_at);
        const active = (await executionsOf(t, policy)).some(
          (e) => e.status === 'pending' || e.status === 'running',
        );
        return pending || active ? undefined : true;
      });
      expect((await east.listTags('library/app')).sort()).toEqual(['1.0', '2.0', '3.0', 'theirs']);
      expect((await west.listTags('mirror/library/app')).sort()).toEqual(['1.0', '2.0', '3.0']);
    } finally {
      await Promise.all([east.close(), west.close()]);
    }
    const metrics = await (await t.api('/metrics', { token: null })).text();
    expect(metrics).toMatch(
      /regrelay_replication_lag_seconds_count\{policy="on-push",destination="east"\} [1-9]/,
    );
  });

  it('skips a policy whose stored filter no longer compiles, and still serves the others', async () => {
    // Saved by a version before filters ran on RE2, which refuses a lookahead: the API
    // would refuse it now, so it is written as such a version left it.
    const stale = await addPolicy(t, {
      name: 'stale-filter',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: westId, namespace: 'stale' }],
      filters: { repositories: ['library/**'], tags: ['*'] },
      trigger: { type: 'event' },
    });
    await t.app
      .get(DataSource)
      .query(`UPDATE policy SET tags = '{"re:(?!tmp-).*"}' WHERE id = $1`, [stale]);

    const pushed = await build.image('library/app', {
      tag: '5.0',
      layers: [{ seed: 'app-5.0', size: 8 * KiB }],
    });
    const row = await waitFor(
      'the push of 5.0 processed',
      async () =>
        (await inboxRows(t, sourceId)).find(
          (r) => r.tag === '5.0' && r.action === 'push' && r.processed_at,
        ),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const [onPush] = await executionsOf(t, policy);
    expect(row.execution_ids).toEqual([onPush!.id]);
    await finished(t, onPush!.id);
    expect((await skopeoRawDigest(east.host, 'library/app', '5.0')).digest).toBe(
      pushed.descriptor.digest,
    );
    expect(await executionsOf(t, stale)).toEqual([]);
  });
});
