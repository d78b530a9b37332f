import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  execution,
  finished,
  json,
  runToSuccess,
  tasks,
  trigger,
} from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { metricValue } from '../support/metrics.js';

const MiB = 1024 * 1024;

describe('stopping, and destinations that are down', () => {
  let t: TestApp;
  let source: TestRegistry, healthy: TestRegistry, flaky: TestRegistry;
  let sourceClient: RegistryClient;
  let sourceId: string, healthyId: string, flakyId: string;

  beforeAll(async () => {
    [source, healthy, flaky] = await Promise.all([
      startRegistry(),
      startRegistry(),
      startRegistry(),
    ]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_TASK_MAX_ATTEMPTS: '2' });
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    await build.image('big/image', { tag: 'v1', layers: [{ seed: 'big', size: 32 * MiB }] });
    for (const tag of ['a', 'b', 'c'])
      await build.image('small/image', { tag, layers: [{ seed: `small-${tag}`, size: 8 * 1024 }] });
    sourceId = await addRegistry(t, 'source', source);
    healthyId = await addRegistry(t, 'healthy', healthy);
    flakyId = await addRegistry(t, 'flaky', flaky);
  });
  afterAll(async () => {
    await t?.close();
    await sourceClient?.close();
    await Promise.all([source, healthy, flaky].map((r) => r?.destroy()));
  });

  it('stop aborts the in-flight transfer and marks everything stopped', async () => {
    const policy = await addPolicy(t, {
      name: 'slow',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: healthyId }],
      filters: { repositories: ['big/image'] },
      bandwidthLimit: MiB, // 32 s for the layer: plenty of time to stop it halfway
    });
    const id = await trigger(t, policy);
    await waitFor('the transfer to move bytes', async () => {
      const [task] = await tasks(t, id, 'running');
      return task && task.bytesDone > 0 ? task : undefined;
    });
    expect(await metricValue(t, 'regrelay_transfers_in_flight')).toBe(1);

    const stopped = await json<{ id: string }>(
      await t.api(`/api/v1/executions/${id}/stop`, { method: 'POST' }),
      202,
    );
    expect(stopped.id).toBe(id);
    const done = await finished(t, id, 15_000);
    expect(done.status).toBe('stopped');
    expect(done.counts).toMatchObject({ total: 1, stopped: 1, running: 0 });
    expect(await metricValue(t, 'regrelay_transfers_in_flight')).toBe(0);
    const [task] = await tasks(t, id);
    expect(task!.bytesDone).toBeLessThan(32 * MiB);
    // Nothing half-written was committed.
    const check = new RegistryClient({ name: 'check', url: healthy.url });
    expect(await check.headManifest('big/image', 'v1')).toBeUndefined();
    await check.close();
    // Stopping a finished execution changes nothing.
    expect(
      (
        await json<{ status: string }>(
          await t.api(`/api/v1/executions/${id}/stop`, { method: 'POST' }),
          202,
        )
      ).status,
    ).toBe('stopped');
  });

  it('completes the healthy destination while the other is down, and reports each failure', async () => {
    const policy = await addPolicy(t, {
      name: 'one-down',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: flakyId }, { registryId: healthyId }],
      filters: { repositories: ['small/image'] },
    });
    await flaky.stop();
    const done = await finished(t, await trigger(t, policy), 120_000);
    expect(done.status).toBe('failed');
    expect(done.counts).toMatchObject({ total: 6, succeeded: 3, failed: 3 });
    expect(done.message).toMatch(/3 of 6 tasks failed/);
    const failed = await tasks(t, done.id, 'failed');
    for (const task of failed) {
      expect(task.destinationRegistry).toBe('flaky');
      expect(task.attempts).toBe(2);
      expect(task.reason).toMatch(/flaky/);
    }
    const check = new RegistryClient({ name: 'check', url: healthy.url });
    expect((await check.listTags('small/image')).sort()).toEqual(['a', 'b', 'c']);
    await check.close();

    // The destination comes back (same address, same storage): the next run fills it.
    const back = await startRegistry({ port: flaky.port, storageDir: flaky.storageDir });
    try {
      const refill = await runToSuccess(t, policy);
      expect(refill.counts).toMatchObject({ succeeded: 3, skipped: 3 });
      const client = new RegistryClient({ name: 'check', url: back.url });
      for (const tag of ['a', 'b', 'c']) {
        expect((await client.headManifest('small/image', tag))?.digest).toBe(
          (await sourceClient.headManifest('small/image', tag))?.digest,
        );
      }
      await client.close();
    } finally {
      await back.stop();
    }
    expect((await execution(t, done.id)).status).toBe('failed'); // history is not rewritten
  });
});
