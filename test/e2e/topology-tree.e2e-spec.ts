import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient, cosignTag } from '../../src/oci/index.js';
import type { TopologyStatusDto } from '../../src/topologies/dto/topology-reports.dto.js';
import { AttachedArtifacts } from '../support/attached-artifacts.js';
import { ImageBuilder } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { createPipeline, promote, promotionIn } from '../support/promotion-api.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { TREE_NODES, TREE_PARENT, type TreeNodeName } from '../support/topology-model.js';
import { waitFor } from '../support/wait.js';

const KiB = 1024;
const SECRET = 'hq-webhook-secret-for-the-tree-test';
const NAMES = TREE_NODES;
type Name = TreeNodeName;
const PARENT = TREE_PARENT;

/**
 * HQ → two provinces → four cities, real registries, and only HQ sends webhooks:
 * every level below follows by delivery.
 */
describe('a tree topology: HQ → province → city', () => {
  let t: TestApp;
  const registries = {} as Record<Name, TestRegistry>;
  const clients = {} as Record<Name, RegistryClient>;
  const ids = {} as Record<Name, string>;
  let build: ImageBuilder;
  let topologyId: string;

  beforeAll(async () => {
    t = await startTestApp({
      REGRELAY_POLL_INTERVAL_MS: '100',
      REGRELAY_EVENT_COALESCE_MS: '200',
      // A province that is down fails its deliveries after two attempts, not five.
      REGRELAY_TASK_MAX_ATTEMPTS: '2',
    });
    registries.hq = await startRegistry({
      notifications: {
        url: t.url + DISTRIBUTION_WEBHOOK_PATH,
        headers: { Authorization: [`Bearer ${SECRET}`] },
      },
    });
    for (const name of NAMES.slice(1)) registries[name] = await startRegistry();
    for (const name of NAMES) {
      clients[name] = new RegistryClient({ name, url: registries[name].url });
      ids[name] = await addRegistry(
        t,
        name,
        registries[name],
        name === 'hq' ? { webhookSecret: SECRET } : {},
      );
    }
    build = new ImageBuilder(clients.hq);
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all(NAMES.map((n) => clients[n]?.close()));
    await Promise.all(NAMES.map((n) => registries[n]?.destroy()));
  });

  const digestAt = async (name: Name, tag: string) =>
    (await clients[name].headManifest('library/app', tag).catch(() => undefined))?.digest;
  const everywhere = (tag: string, digest: string | undefined, names: readonly Name[] = NAMES) =>
    waitFor(
      `${tag} at ${names.join(', ')}`,
      async () => {
        for (const name of names) if ((await digestAt(name, tag)) !== digest) return undefined;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  const status = async () =>
    json<TopologyStatusDto>(await t.api(`/api/v1/topologies/${topologyId}/status`));

  it('is created from nodes with their parents', async () => {
    const res = await t.api('/api/v1/topologies', {
      method: 'POST',
      json: {
        name: 'hq-tree',
        kind: 'tree',
        nodes: NAMES.map((n) => ({
          registryId: ids[n],
          parent: PARENT[n] ? ids[PARENT[n]!] : null,
        })),
        filters: { repositories: ['library/**'] },
        deletion: true,
      },
    });
    topologyId = (await json<{ id: string }>(res, 201)).id;
  });

  it('takes one push at the root to every node by events alone, the same digest everywhere', async () => {
    const image = await build.image('library/app', {
      tag: 'v1',
      layers: [{ seed: 'tree-v1', size: 64 * KiB }],
    });
    await everywhere('v1', image.descriptor.digest);
    // Each node's state is written as its delivery ends, a moment after the manifest lands.
    const report = await waitFor('every node to report its delivery', async () => {
      const now = await status();
      return now.nodes.every((n) => n.role === 'root' || n.lagSeconds !== null) ? now : undefined;
    });
    for (const node of report.nodes.filter((n) => n.role === 'node')) {
      expect(node.lastSyncedAt).not.toBeNull();
      expect(node.lagSeconds).toEqual(expect.any(Number));
    }
    // End-to-end lag from the push at HQ, observed at a city two hops away.
    expect(
      await metricValue(t, 'regrelay_topology_lag_seconds_count', {
        topology: 'hq-tree',
        node: 'west-2',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('gets a push to the cities of a province that was down, once it is back; the other province is not delayed', async () => {
    const { port, storageDir } = registries.east;
    await registries.east.stop();
    const image = await build.image('library/app', {
      tag: 'v2',
      layers: [{ seed: 'tree-v2', size: 64 * KiB }],
    });
    await everywhere('v2', image.descriptor.digest, ['hq', 'west', 'west-1', 'west-2']);
    expect(await digestAt('east-1', 'v2')).toBeUndefined();
    // The delivery to east waits for it (after its retries).
    await waitFor(
      'the delivery to east to wait for it',
      async () =>
        (await status()).nodes.find((n) => n.registryId === ids.east)!.waiting > 0
          ? true
          : undefined,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    registries.east = await startRegistry({ port, storageDir });
    await everywhere('v2', image.descriptor.digest);
    expect((await status()).nodes.find((n) => n.registryId === ids.east)!.waiting).toBe(0);
  });

  it('takes a signature added later at the root to every node, and a sync repairs one lost at a city', async () => {
    const v2 = (await clients.hq.headManifest('library/app', 'v2'))!;
    const sig = await new AttachedArtifacts(clients.hq).cosignSign('library/app', v2);
    const sigTag = cosignTag(v2.digest, 'sig');
    const sigAt = async (name: Name) =>
      (await clients[name].headManifest('library/app', sigTag).catch(() => undefined))?.digest;
    const signedEverywhere = () =>
      waitFor(
        'the signature at every node',
        async () => {
          for (const name of NAMES) if ((await sigAt(name)) !== sig.digest) return undefined;
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    await signedEverywhere();
    // A city loses it (someone deleted it there); the next sync brings it back from its province.
    await clients['west-2'].deleteManifest('library/app', sig.digest);
    expect(await sigAt('west-2')).toBeUndefined();
    await json(await t.api(`/api/v1/topologies/${topologyId}/sync`, { method: 'POST' }), 202);
    await signedEverywhere();
  });

  it('deletes everywhere what the root deleted', async () => {
    const v1 = await digestAt('hq', 'v1');
    await clients.hq.deleteManifest('library/app', v1!);
    await everywhere('v1', undefined);
    expect(await digestAt('west-2', 'v2')).toBeDefined();
  });

  it('tells a promotion into the root when the digest arrived at each leaf', async () => {
    const dev = await startRegistry();
    const spare = await startRegistry();
    let staleId: string | undefined;
    try {
      const devId = await addRegistry(t, 'dev', dev);
      // Another tree rooted at HQ whose stored filter RE2 refuses (a lookahead, saved by
      // an earlier version; the API would refuse it now): it delivers nothing, and the
      // promotion neither waits for its leaf nor fails on it.
      const created = await t.api('/api/v1/topologies', {
        method: 'POST',
        json: {
          name: 'stale-tree',
          kind: 'tree',
          nodes: [
            { registryId: ids.hq, parent: null },
            { registryId: await addRegistry(t, 'spare', spare), parent: ids.hq },
          ],
          filters: { repositories: ['other/**'] },
        },
      });
      staleId = (await json<{ id: string }>(created, 201)).id;
      await t.app
        .get(DataSource)
        .query(`UPDATE topology SET repositories = '{"re:(?!tmp-).*"}' WHERE id = $1`, [staleId]);
      const devClient = new RegistryClient({ name: 'dev', url: dev.url });
      const image = await new ImageBuilder(devClient).image('library/app', {
        tag: 'v3',
        layers: [{ seed: 'tree-v3', size: 16 * KiB }],
      });
      await devClient.close();
      const pipeline = await createPipeline(t, {
        name: 'to-hq',
        stages: [
          { name: 'dev', registryId: devId },
          { name: 'hq', registryId: ids.hq },
        ],
      });
      const asked = await promote(t, pipeline.id, {
        repository: 'library/app',
        tag: 'v3',
        toStage: 'hq',
      });
      expect(asked.status).toBe(202);
      await everywhere('v3', image.descriptor.digest);
      const leaves = ['east-1', 'east-2', 'west-1', 'west-2'] as const;
      const done = await waitFor('every leaf to report its arrival', async () => {
        const p = await promotionIn(t, asked.body.id, ['succeeded']);
        return p.leaves.length === 4 && p.leaves.every((l) => l.arrivedAt) ? p : undefined;
      });
      expect(done.leaves.map((l) => l.registryId).sort()).toEqual(leaves.map((n) => ids[n]).sort());
    } finally {
      if (staleId) await t.api(`/api/v1/topologies/${staleId}`, { method: 'DELETE' });
      await Promise.all([dev.destroy(), spare.destroy()]);
    }
  });

  it('refuses a policy that would close a cycle through the tree, naming it', async () => {
    const res = await t.api('/api/v1/policies', {
      method: 'POST',
      json: {
        name: 'back-to-hq',
        sourceRegistryId: ids['east-1'],
        destinations: [{ registryId: ids.hq, namespace: 'back' }],
        trigger: { type: 'event' },
      },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; reason: string }[] };
    expect(body.errors).toEqual([
      {
        field: 'destinations',
        reason: expect.stringContaining('east-1 → hq → east → east-1'),
      },
    ]);
  });

  it('refuses a topology that closes a cycle with two event-triggered policies, naming it', async () => {
    // Validation only: these registries need not be running.
    const id = async (name: string) =>
      (
        await json<{ id: string }>(
          await t.api('/api/v1/registries', {
            method: 'POST',
            json: { name, url: 'http://127.0.0.1:1' },
          }),
          201,
        )
      ).id;
    const [x, y, z] = [await id('cycle-x'), await id('cycle-y'), await id('cycle-z')];
    for (const [name, from, to] of [
      ['x-to-y', x, y],
      ['y-to-z', y, z],
    ] as const) {
      const res = await t.api('/api/v1/policies', {
        method: 'POST',
        json: {
          name,
          sourceRegistryId: from,
          destinations: [{ registryId: to }],
          trigger: { type: 'event' },
        },
      });
      expect(res.status).toBe(201);
    }
    const res = await t.api('/api/v1/topologies', {
      method: 'POST',
      json: {
        name: 'z-to-x',
        kind: 'tree',
        nodes: [
          { registryId: z, parent: null },
          { registryId: x, parent: z },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      {
        field: 'nodes',
        reason: expect.stringContaining(
          'cycle-z → cycle-x → cycle-y → cycle-z (topology z-to-x, policy x-to-y, policy y-to-z)',
        ),
      },
    ]);
  });
});
