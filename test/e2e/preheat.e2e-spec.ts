import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { PreheatListDto } from '../../src/preheat/dto/preheat.dto.js';
import { FakeDragonflyManager } from '../support/dragonfly-manager.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  json,
  runToSuccess,
  type ApiCaller,
} from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'dfp-personal-access-token-1';

/** An execution's preheats once none is pending or running (bounded wait). */
function preheatsSettled(t: ApiCaller, executionId: string): Promise<PreheatListDto> {
  return waitFor(
    `the preheats of execution ${executionId} to end`,
    async () => {
      const list = await json<PreheatListDto>(
        await t.api(`/api/v1/executions/${executionId}/preheats`),
      );
      return list.counts.total > 0 && list.counts.pending + list.counts.running === 0
        ? list
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

describe('Dragonfly preheat after replication', () => {
  let t: TestApp, replica: TestApp;
  let source: TestRegistry, warm: TestRegistry, cold: TestRegistry;
  let manager: FakeDragonflyManager, failing: FakeDragonflyManager;
  let image: PushedManifest, index: PushedManifest;
  let sourceId: string, warmId: string;
  let lastExecutionId: string;

  beforeAll(async () => {
    [source, warm, cold] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    manager = await FakeDragonflyManager.start({ tokens: [TOKEN], pendingPolls: 2 });
    failing = await FakeDragonflyManager.start({ tokens: [TOKEN], failJobs: true });
    const client = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(client);
    image = await build.image('apps/web', {
      tag: '1.0',
      layers: [{ seed: 'preheat-web', size: 32 * 1024 }],
    });
    const amd = await build.image('apps/multi', {
      layers: [{ seed: 'preheat-amd', size: 16 * 1024 }],
    });
    const arm = await build.image('apps/multi', {
      layers: [{ seed: 'preheat-arm', size: 16 * 1024 }],
      platform: { architecture: 'arm64', os: 'linux' },
    });
    index = await build.index('apps/multi', {
      tag: 'latest',
      manifests: [
        { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
        { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    await client.close();
    // Two replicas on one database, as on Kubernetes: each hears execution.finished.
    const shared = {
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: `preheat-admin-${randomBytes(8).toString('hex')}`,
      REGRELAY_POLL_INTERVAL_MS: '100',
      REGRELAY_PREHEAT_POLL_INTERVAL_MS: '100',
    };
    t = await startTestApp(shared);
    replica = await startTestApp(shared, { database: t.database });
    sourceId = await addRegistry(t, 'source', source);
    warmId = await addRegistry(t, 'warm', warm, {
      dragonfly: {
        url: manager.url,
        token: TOKEN,
        scope: 'all_seed_peers',
        platforms: ['linux/amd64'],
      },
    });
  });

  afterAll(async () => {
    await replica?.close();
    await t?.close();
    await Promise.all([manager?.close(), failing?.close()]);
    await Promise.all([source, warm, cold].map((r) => r?.destroy()));
  });

  /** Replicates apps/web to `registry` (managed by `dragonfly`) and waits for its preheats. */
  async function replicateWithPreheat(
    name: string,
    registry: TestRegistry,
    dragonfly: { url: string; token: string },
  ): Promise<PreheatListDto> {
    const policyId = await addPolicy(t, {
      name,
      sourceRegistryId: sourceId,
      destinations: [{ registryId: await addRegistry(t, name, registry, { dragonfly }) }],
      filters: { repositories: ['apps/web'] },
    });
    const done = await runToSuccess(t, policyId);
    lastExecutionId = done.id;
    return preheatsSettled(t, done.id);
  }

  it('keeps the manager token write-only and checks the settings field by field', async () => {
    const bad = await t.api('/api/v1/registries', {
      method: 'POST',
      json: {
        name: 'bad',
        url: warm.url,
        dragonfly: { url: 'ftp://x', token: TOKEN, scope: 'everyone' },
      },
    });
    expect(bad.status).toBe(400);
    const problems = ((await bad.json()) as { errors: { field: string }[] }).errors.map(
      (e) => e.field,
    );
    expect(problems).toContain('dragonfly.scope');
    const noToken = await t.api('/api/v1/registries', {
      method: 'POST',
      json: { name: 'bad', url: warm.url, dragonfly: { url: manager.url } },
    });
    expect(noToken.status).toBe(400);
    expect(await noToken.text()).toContain('dragonfly.token');

    const id = await addRegistry(t, 'settings', warm, {
      dragonfly: {
        url: manager.url,
        token: TOKEN,
        scope: 'all_seed_peers',
        platforms: ['linux/amd64'],
      },
    });
    const shown = await (await t.api(`/api/v1/registries/${id}`)).text();
    expect(shown).not.toContain(TOKEN);
    expect(JSON.parse(shown).dragonfly).toEqual({
      url: manager.url,
      scope: 'all_seed_peers',
      platforms: ['linux/amd64'],
      schedulerClusterIds: [],
      passCredentials: false,
      hasToken: true,
    });
    // Same manager, no token: the stored one stays. Another origin needs its own token.
    const kept = await t.api(`/api/v1/registries/${id}`, {
      method: 'PATCH',
      json: {
        dragonfly: { url: manager.url, scope: 'all_seed_peers', platforms: ['linux/amd64'] },
      },
    });
    expect((await json<{ dragonfly: { hasToken: boolean } }>(kept)).dragonfly.hasToken).toBe(true);
    const moved = await t.api(`/api/v1/registries/${id}`, {
      method: 'PATCH',
      json: { dragonfly: { url: failing.url } },
    });
    expect(moved.status).toBe(400);
    expect(await moved.text()).toContain('dragonfly.token');
  });

  it('asks the manager to preheat each delivered image once, polls it to SUCCESS, records and counts it', async () => {
    const policyId = await addPolicy(t, {
      name: 'to-warm',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: warmId }],
      filters: { repositories: ['apps/**'] },
    });
    const done = await runToSuccess(t, policyId);
    const preheats = await preheatsSettled(t, done.id);
    expect(preheats.counts).toEqual({ total: 2, pending: 0, running: 0, succeeded: 2, failed: 0 });

    const expected = new Map([
      [`${warm.url}/v2/apps/web/manifests/${image.descriptor.digest}`, 'apps/web'],
      [`${warm.url}/v2/apps/multi/manifests/${index.descriptor.digest}`, 'apps/multi'],
    ]);
    expect(new Set(preheats.items.map((p) => p.manifestUrl))).toEqual(new Set(expected.keys()));
    for (const p of preheats.items) {
      expect(p).toMatchObject({
        platform: 'linux/amd64',
        jobState: 'SUCCESS',
        error: null,
        attempts: 1,
      });
      expect(p.peersSucceeded).toBeGreaterThan(0);
    }
    // Exactly one POST per image although two replicas heard the execution finish.
    const posts = manager.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    for (const post of posts) {
      expect(post.authorization).toBe(`Bearer ${TOKEN}`);
      expect(post.body).toEqual({
        type: 'preheat',
        bio: `regrelay execution ${done.id}`,
        args: {
          type: 'image',
          url: expect.stringMatching(/\/manifests\/sha256:[a-f0-9]{64}$/),
          platform: 'linux/amd64',
          scope: 'all_seed_peers',
        },
      });
    }
    // The manager resolved each URL against the destination, so they point at real manifests.
    expect(manager.createdJobs().map((j) => j.state)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(manager.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(6);

    const succeeded = { registry: 'warm', result: 'succeeded' };
    const counted =
      (await metricValue(t, 'regrelay_preheats_total', succeeded)) +
      (await metricValue(replica, 'regrelay_preheats_total', succeeded));
    expect(counted).toBe(2);
    const execution = await json<{ status: string; message: string | null }>(
      await t.api(`/api/v1/executions/${done.id}`),
    );
    expect(execution.status).toBe('succeeded');
    expect(execution.message ?? '').not.toContain('Preheat');
  });

  it('a failing manager leaves the execution succeeded, with the failure on it and in the preheats', async () => {
    const preheats = await replicateWithPreheat('cold', cold, { url: failing.url, token: TOKEN });
    expect(preheats.counts).toMatchObject({ total: 1, failed: 1 });
    expect(preheats.items[0]).toMatchObject({ platform: null, jobState: 'FAILURE' });
    expect(preheats.items[0]!.error).toContain('no seed peer could download the image');
    const execution = await waitFor('the preheat warning on the execution', async () => {
      const e = await json<{ status: string; message: string | null }>(
        await t.api(`/api/v1/executions/${lastExecutionId}`),
      );
      return e.message?.includes('Preheat:') ? e : undefined;
    });
    expect(execution.status).toBe('succeeded');
    expect(execution.message).toContain('1 of 1 Dragonfly preheats failed');
  });

  it('a rejected token fails at once, naming the manager and what to check', async () => {
    const other = await startRegistry();
    try {
      const preheats = await replicateWithPreheat('wrong-token', other, {
        url: manager.url,
        token: 'not-a-token-of-this-manager',
      });
      expect(preheats.items[0]).toMatchObject({ status: 'failed', jobId: null, attempts: 1 });
      expect(preheats.items[0]!.error).toContain(
        `Dragonfly manager ${manager.url} POST /oapi/v1/jobs: 401 Unauthorized`,
      );
      expect(preheats.items[0]!.error).toContain('dragonfly.token');
    } finally {
      await other.destroy();
    }
  });

  it('a rate-limited job creation is tried again later and then succeeds', async () => {
    const limited = await FakeDragonflyManager.start({ tokens: [TOKEN], rateLimitFirst: 1 });
    const other = await startRegistry();
    try {
      const preheats = await replicateWithPreheat('limited', other, {
        url: limited.url,
        token: TOKEN,
      });
      expect(preheats.items[0]).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
      expect(limited.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    } finally {
      await limited.close();
      await other.destroy();
    }
  });
});
