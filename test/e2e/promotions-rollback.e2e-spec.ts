import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import type { PipelineDto } from '../../src/promotions/dto/pipeline.dto.js';
import type { PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import type { PipelineStateDto } from '../../src/promotions/dto/state.dto.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { createPipeline, promote, promotionIn } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const ENDED = ['succeeded', 'failed', 'refused'];
const SECRET = 'dev-webhook-secret-for-the-promotion-test';

/**
 * Auto-promotion and rollback on real registries: dev notifies regrelay of pushes
 * (test promotes them automatically), prod follows staging automatically; a rollback
 * in prod restores the previous digest at the tag and holds auto-promotion there.
 */
describe('auto-promotion and rollback', () => {
  let t: TestApp;
  let dev: TestRegistry, test: TestRegistry, staging: TestRegistry, prod: TestRegistry;
  let devClient: RegistryClient, prodClient: RegistryClient;
  let pipeline: PipelineDto;

  const history = async (stage: string) =>
    (
      await json<{ items: PromotionDto[] }>(
        await t.api(`/api/v1/pipelines/${pipeline.id}/history?stage=${stage}&limit=500`),
      )
    ).items;
  const push = (tag: string) =>
    new ImageBuilder(devClient).image('team/app', {
      tag,
      layers: [{ seed: `${tag}-${Math.random()}`, size: 16 * 1024 }],
    });
  const autoInto = (stage: string, digest: string) =>
    waitFor(`an auto-promotion of ${digest} into ${stage} to succeed`, async () =>
      (await history(stage)).find(
        (p) => p.kind === 'auto' && p.digest === digest && p.status === 'succeeded',
      ),
    );
  /** Once test has it (auto-promoted on dev's push event), promotes it into staging by hand. */
  const release = async (image: PushedManifest, tag: string) => {
    await autoInto('test', image.descriptor.digest);
    const asked = await promote(t, pipeline.id, {
      repository: 'team/app',
      digest: image.descriptor.digest,
      tag,
      toStage: 'staging',
    });
    expect(asked.status).toBe(202);
    expect((await promotionIn(t, asked.body.id, ENDED)).status).toBe('succeeded');
  };
  beforeAll(async () => {
    t = await startTestApp({
      REGRELAY_POLL_INTERVAL_MS: '100',
      REGRELAY_EVENT_COALESCE_MS: '1000',
    });
    [dev, test, staging, prod] = await Promise.all([
      startRegistry({
        notifications: {
          url: t.url + DISTRIBUTION_WEBHOOK_PATH,
          headers: { Authorization: [`Bearer ${SECRET}`] },
        },
      }),
      startRegistry(),
      startRegistry(),
      startRegistry(),
    ]);
    devClient = new RegistryClient({ name: 'dev', url: dev.url });
    prodClient = new RegistryClient({ name: 'prod', url: prod.url });
    const ids = [
      await addRegistry(t, 'dev', dev, { webhookSecret: SECRET }),
      await addRegistry(t, 'test', test),
      await addRegistry(t, 'staging', staging),
      await addRegistry(t, 'prod', prod),
    ];
    pipeline = await createPipeline(t, {
      name: 'auto',
      stages: [
        { name: 'dev', registryId: ids[0] },
        { name: 'test', registryId: ids[1], autoPromote: true },
        { name: 'staging', registryId: ids[2] },
        { name: 'prod', registryId: ids[3], autoPromote: true },
      ],
    });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([devClient?.close(), prodClient?.close()]);
    await Promise.all([dev, test, staging, prod].map((r) => r?.destroy()));
  });

  it('promotes into test by itself when dev reports a push', async () => {
    const image = await push('1.0');
    const auto = await autoInto('test', image.descriptor.digest);
    expect(auto).toMatchObject({
      tag: '1.0',
      requestedBy: 'auto-promotion',
      from: { stage: 'dev' },
    });
    expect(auto.reason).toContain('pushed (registry event)');
  });

  it('rolls prod back to the previous digest at the tag and holds auto-promotion until released', async () => {
    const first = await push('r1');
    await release(first, 'stable');
    await autoInto('prod', first.descriptor.digest);
    const second = await push('r2');
    await release(second, 'stable');
    await autoInto('prod', second.descriptor.digest);
    expect((await prodClient.headManifest('team/app', 'stable'))?.digest).toBe(
      second.descriptor.digest,
    );

    const res = await t.api(`/api/v1/pipelines/${pipeline.id}/rollback`, {
      method: 'POST',
      json: { stage: 'prod', repository: 'team/app', tag: 'stable', reason: 'error rate' },
    });
    const rollback = await json<PromotionDto>(res, 202);
    expect(rollback).toMatchObject({
      kind: 'rollback',
      digest: first.descriptor.digest,
      previousDigest: second.descriptor.digest,
      reason: 'error rate',
    });
    expect((await promotionIn(t, rollback.id, ENDED)).status).toBe('succeeded');
    expect((await prodClient.headManifest('team/app', 'stable'))?.digest).toBe(
      first.descriptor.digest,
    );
    const state = await json<PipelineStateDto>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/state`),
    );
    const prodState = state.stages.find((s) => s.stage === 'prod')!.repositories[0]!;
    expect(prodState.hold).toMatchObject({ promotionId: rollback.id });
    expect(prodState.tags).toEqual([
      expect.objectContaining({ tag: 'stable', digest: first.descriptor.digest }),
    ]);

    // Held: a new digest reaching staging does not go on to prod by itself.
    const third = await push('r3');
    await release(third, 'stable');
    const released = await json<{ released: boolean }>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/release`, {
        method: 'POST',
        json: { stage: 'prod', repository: 'team/app' },
      }),
    );
    expect(released.released).toBe(true);
    const fourth = await push('r4');
    await release(fourth, 'stable');
    await autoInto('prod', fourth.descriptor.digest);
    const prodHistory = await history('prod');
    expect(prodHistory.some((p) => p.digest === third.descriptor.digest)).toBe(false);
    expect(prodHistory.map((p) => p.kind)).toEqual(['auto', 'rollback', 'auto', 'auto']);
  });

  it('refuses a rollback with nothing earlier to go back to, naming the stage and tag', async () => {
    const res = await t.api(`/api/v1/pipelines/${pipeline.id}/rollback`, {
      method: 'POST',
      json: { stage: 'prod', repository: 'team/other', tag: 'stable' },
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toContain('stage prod');
  });

  it('judges a hold by when the digest arrived: a push while held is not promoted after a release', async () => {
    const held = await history('test');
    const r2 = held.find((p) => p.tag === 'r2' && p.status === 'succeeded')!;
    const rollback = await json<PromotionDto>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/rollback`, {
        method: 'POST',
        json: { stage: 'test', repository: 'team/app', tag: 'r1', digest: r2.digest },
      }),
      202,
    );
    expect((await promotionIn(t, rollback.id, ENDED)).status).toBe('succeeded');
    // Pushed while test is held; the registry's event is handled after the release
    // below (events are gathered for a second first).
    const whileHeld = await push('h1');
    await json(
      await t.api(`/api/v1/pipelines/${pipeline.id}/release`, {
        method: 'POST',
        json: { stage: 'test', repository: 'team/app' },
      }),
    );
    const afterRelease = await push('h2');
    await autoInto('test', afterRelease.descriptor.digest);
    expect((await history('test')).some((p) => p.digest === whileHeld.descriptor.digest)).toBe(
      false,
    );
  });
});
