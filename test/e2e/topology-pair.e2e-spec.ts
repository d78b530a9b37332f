import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import type { ExecutionDto } from '../../src/replication/dto/execution.dto.js';
import type { ConflictPageDto } from '../../src/topologies/dto/topology-reports.dto.js';
import { startEnvelopeRelay, type EnvelopeRelay } from '../support/envelope-relay.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json, tasks } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const KiB = 1024;
/** How long the pair must stay quiet after it converged (the fuzz run watches longer). */
const QUIET_MS = Number(process.env.REGRELAY_TEST_QUIET_MS ?? 8000);

/**
 * Two data centres, both writable, both sending webhooks: a dual-master pair that
 * converges, settles conflicts by its rule (or holds them), keeps deletions deleted,
 * and goes quiet.
 */
describe('a dual-master pair', () => {
  let t: TestApp;
  const side: Record<
    'a' | 'b' | 'c' | 'd',
    { registry: TestRegistry; client: RegistryClient; id: string; build: ImageBuilder }
  > = {} as never;
  let pair: string;
  let held: string;
  /** Side B's webhooks pass a relay that can lose its delete events, as a registry restart would. */
  let relay: EnvelopeRelay;
  let loseDeletes = false;

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_EVENT_COALESCE_MS: '300' });
    relay = await startEnvelopeRelay(t.url + DISTRIBUTION_WEBHOOK_PATH, (envelope) =>
      loseDeletes ? { events: envelope.events.filter((e) => e.action !== 'delete') } : envelope,
    );
    for (const name of ['a', 'b', 'c', 'd'] as const) {
      const secret = `pair-webhook-secret-${name}-0123456789`;
      const registry = await startRegistry({
        notifications: {
          url: name === 'b' ? relay.url : t.url + DISTRIBUTION_WEBHOOK_PATH,
          headers: { Authorization: [`Bearer ${secret}`] },
        },
      });
      const client = new RegistryClient({ name, url: registry.url });
      side[name] = {
        registry,
        client,
        id: await addRegistry(t, `dc-${name}`, registry, { webhookSecret: secret }),
        build: new ImageBuilder(client),
      };
    }
    const create = async (name: string, registries: string[], conflict: string) =>
      (
        await json<{ id: string }>(
          await t.api('/api/v1/topologies', {
            method: 'POST',
            json: { name, kind: 'dual-master', registries, conflict, deletion: true },
          }),
          201,
        )
      ).id;
    pair = await create('dc-pair', [side.a.id, side.b.id], 'prefer-first');
    held = await create('dc-pair-held', [side.c.id, side.d.id], 'hold');
  });

  afterAll(async () => {
    await t?.close();
    await relay?.close();
    await Promise.all(Object.values(side).map((s) => s.client.close()));
    await Promise.all(Object.values(side).map((s) => s.registry.destroy()));
  });

  const digestAt = async (s: keyof typeof side, tag: string) =>
    (await side[s].client.headManifest('app', tag).catch(() => undefined))?.digest;
  const converged = (pairs: [keyof typeof side, string, string | undefined][]) =>
    waitFor(
      `both sides to hold ${pairs.map(([s, tag, d]) => `${s}:${tag}=${d ?? 'nothing'}`).join(', ')}`,
      async () => {
        for (const [s, tag, digest] of pairs)
          if ((await digestAt(s, tag)) !== digest) return undefined;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  const image = (s: keyof typeof side, tag: string, seed: string): Promise<PushedManifest> =>
    side[s].build.image('app', { tag, layers: [{ seed, size: 16 * KiB }] });
  const executionsOf = async (topologyId: string) =>
    (
      await json<{ items: ExecutionDto[] }>(
        await t.api(`/api/v1/executions?ownerKind=topology&ownerId=${topologyId}&limit=500`),
      )
    ).items;

  it('copies a push on either side to the other exactly once, then is silent', async () => {
    const fromA = await image('a', 'from-a', 'pair-a-1');
    const fromB = await image('b', 'from-b', 'pair-b-1');
    await converged([
      ['a', 'from-b', fromB.descriptor.digest],
      ['b', 'from-a', fromA.descriptor.digest],
    ]);
    await sleep(2000); // the copies' own webhooks come back in this time
    let copies = 0;
    for (const e of await executionsOf(pair))
      copies += (await tasks(t, e.id)).filter(
        (k) => k.operation === 'copy' && k.status === 'succeeded',
      ).length;
    expect(copies).toBe(2);
  });

  it('settles the same tag pushed differently on both sides within a second by its rule, on both, and lists one conflict', async () => {
    const [onA, onB] = await Promise.all([
      image('a', 'both', 'pair-both-a'),
      image('b', 'both', 'pair-both-b'),
    ]);
    await converged([
      ['a', 'both', onA.descriptor.digest],
      ['b', 'both', onA.descriptor.digest], // prefer-first: side A wins
    ]);
    const conflicts = await json<ConflictPageDto>(
      await t.api(`/api/v1/topologies/${pair}/conflicts`),
    );
    expect(conflicts.items).toEqual([
      expect.objectContaining({
        repository: 'app',
        tag: 'both',
        digests: { [side.a.id]: onA.descriptor.digest, [side.b.id]: onB.descriptor.digest },
        resolution: 'prefer-first',
        resolvedDigest: onA.descriptor.digest,
      }),
    ]);
    expect(await metricValue(t, 'regrelay_topology_conflicts_total', { topology: 'dc-pair' })).toBe(
      1,
    );
  });

  it('holds a conflict for a person when told to, and copies the side they choose', async () => {
    const [onC, onD] = await Promise.all([
      image('c', 'both', 'held-c'),
      image('d', 'both', 'held-d'),
    ]);
    const conflict = await waitFor('the conflict to be held', async () => {
      const page = await json<ConflictPageDto>(
        await t.api(`/api/v1/topologies/${held}/conflicts?held=true`),
      );
      return page.items[0];
    });
    expect(conflict.resolution).toBe('held');
    expect(await digestAt('c', 'both')).toBe(onC.descriptor.digest);
    expect(await digestAt('d', 'both')).toBe(onD.descriptor.digest);
    const res = await t.api(`/api/v1/topologies/${held}/conflicts/${conflict.id}/resolve`, {
      method: 'POST',
      json: { registryId: side.d.id },
    });
    expect((await json<{ resolution: string }>(res)).resolution).toBe('manual');
    await converged([
      ['c', 'both', onD.descriptor.digest],
      ['d', 'both', onD.descriptor.digest],
    ]);
  });

  it('deletes on the other side a tag deleted on one, and never brings it back', async () => {
    const gone = await image('a', 'gone', 'pair-gone');
    await converged([['b', 'gone', gone.descriptor.digest]]);
    await side.a.client.deleteManifest('app', gone.descriptor.digest);
    await converged([
      ['a', 'gone', undefined],
      ['b', 'gone', undefined],
    ]);
    // A full sync afterwards finds nothing to bring back.
    const sync = await json<{ executionId: string }>(
      await t.api(`/api/v1/topologies/${pair}/sync`, { method: 'POST' }),
      202,
    );
    await waitFor('the sync to end', async () => {
      const e = await json<ExecutionDto>(await t.api(`/api/v1/executions/${sync.executionId}`));
      return e.status === 'succeeded' ? e : undefined;
    });
    expect(await digestAt('a', 'gone')).toBeUndefined();
    expect(await digestAt('b', 'gone')).toBeUndefined();
  });

  it('deletes on the other side a manifest pushed there under two tags and deleted on this side', async () => {
    // Pushed on B under two tags, so regrelay wrote both at A, none at B. Deleting the
    // manifest on A (distribution 2.8: both tags go) must delete both at B too.
    const shared = await image('b', 'two-1', 'pair-two-tags');
    await side.b.client.putManifest('app', 'two-2', shared.bytes, shared.descriptor.mediaType);
    await converged([
      ['a', 'two-1', shared.descriptor.digest],
      ['a', 'two-2', shared.descriptor.digest],
    ]);
    await side.a.client.deleteManifest('app', shared.descriptor.digest);
    await converged([
      ['a', 'two-1', undefined],
      ['a', 'two-2', undefined],
      ['b', 'two-1', undefined],
      ['b', 'two-2', undefined],
    ]);
  });

  it('takes a tag pushed again after a deletion as new, even when the deleted side never reported its delete', async () => {
    // Pushed on B, so regrelay wrote it at A; deleted on A, so regrelay deletes it at B,
    // whose own delete event is lost. The last synced digest must not outlive the tag.
    const again = await image('b', 'again', 'pair-again');
    await converged([['a', 'again', again.descriptor.digest]]);
    loseDeletes = true;
    try {
      await side.a.client.deleteManifest('app', again.descriptor.digest);
      await converged([
        ['a', 'again', undefined],
        ['b', 'again', undefined],
      ]);
      await sleep(1000); // B's lost delete event would have been taken by now
    } finally {
      loseDeletes = false;
    }
    // Someone pushes the same image to A again: a new push, copied to B, not a deletion.
    await side.a.client.putManifest('app', 'again', again.bytes, again.descriptor.mediaType);
    await converged([
      ['a', 'again', again.descriptor.digest],
      ['b', 'again', again.descriptor.digest],
    ]);
    await sleep(2000); // what regrelay does about it is done by now
    expect(await digestAt('a', 'again')).toBe(again.descriptor.digest);
    expect(await digestAt('b', 'again')).toBe(again.descriptor.digest);
    const conflicts = await json<ConflictPageDto>(
      await t.api(`/api/v1/topologies/${pair}/conflicts`),
    );
    expect(conflicts.items.filter((c) => c.tag === 'again')).toEqual([]);
  });

  it('moves no byte once it has converged', async () => {
    const before = await metricValue(t, 'regrelay_bytes_transferred_total', {
      policy: 'topology:dc-pair',
    });
    const executions = (await executionsOf(pair)).length;
    await sleep(QUIET_MS);
    expect(
      await metricValue(t, 'regrelay_bytes_transferred_total', { policy: 'topology:dc-pair' }),
    ).toBe(before);
    const later = await executionsOf(pair);
    for (const e of later.slice(0, later.length - executions))
      expect(
        (await tasks(t, e.id)).filter((k) => k.status === 'succeeded' && k.operation === 'copy'),
      ).toEqual([]);
  });
});
