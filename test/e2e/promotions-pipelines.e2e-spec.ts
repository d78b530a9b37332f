import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { PipelineDto } from '../../src/promotions/dto/pipeline.dto.js';
import { StageLeaves } from '../../src/promotions/stage-leaves.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, promote, promotionIn } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Pipelines over REST: validation naming fields, changes keeping stages, what blocks removal. */
describe('pipelines', () => {
  let t: TestApp;
  let dev: TestRegistry, prod: TestRegistry;
  let devId: string, prodId: string;

  const errorsOf = async (res: Response) =>
    ((await res.json()) as { errors: { field: string; reason: string }[] }).errors;

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    [dev, prod] = await Promise.all([startRegistry(), startRegistry()]);
    devId = await addRegistry(t, 'dev', dev);
    prodId = await addRegistry(t, 'prod', prod);
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([dev?.destroy(), prod?.destroy()]);
  });

  it('refuses a bad definition, naming every field', async () => {
    const res = await t.api('/api/v1/pipelines', {
      method: 'POST',
      json: {
        name: 'bad',
        stages: [
          { name: 'dev', registryId: devId, gates: [{ type: 'soak', seconds: 60 }] },
          {
            name: 'dev',
            registryId: '00000000-0000-4000-8000-000000000000',
            repository: 'Prod/{repository}',
          },
          { name: 'qa', registryId: prodId, immutableTags: ['re:('] },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect((await errorsOf(res)).map((e) => e.field)).toEqual(
      expect.arrayContaining([
        'stages[0].gates',
        'stages[1].name',
        'stages[1].registryId',
        'stages[1].repository',
        'stages[2].immutableTags',
      ]),
    );
    const badName = await t.api('/api/v1/pipelines', {
      method: 'POST',
      json: {
        name: 'bad',
        stages: [
          { name: 'x y', registryId: devId },
          { name: 'qa', registryId: prodId },
        ],
      },
    });
    expect((await errorsOf(badName)).map((e) => e.field)).toEqual(['stages[0].name']);
  });

  it('keeps stages by name when a pipeline changes; refuses to drop a stage with open promotions', async () => {
    const created = await createPipeline(t, {
      name: 'change-me',
      stages: [
        { name: 'dev', registryId: devId },
        {
          name: 'prod',
          registryId: prodId,
          gates: [
            { type: 'approval', required: 1 },
            { type: 'soak', seconds: 3600 },
          ],
        },
      ],
    });
    expect(
      (
        await t.api('/api/v1/pipelines', {
          method: 'POST',
          json: {
            name: 'change-me',
            stages: created.stages.map((s) => ({ name: s.name, registryId: s.registryId })),
          },
        })
      ).status,
    ).toBe(409);
    const client = new RegistryClient({ name: 'dev', url: dev.url });
    await new ImageBuilder(client).image('team/app', {
      tag: 'v1',
      layers: [{ seed: 'pipelines', size: 4096 }],
    });
    await client.close();
    const waiting = await promote(t, created.id, {
      repository: 'team/app',
      tag: 'v1',
      toStage: 'prod',
    });
    expect(waiting.body.status).toBe('waiting');

    const put = (stages: object[]) =>
      t.api(`/api/v1/pipelines/${created.id}`, {
        method: 'PUT',
        json: { name: 'change-me', stages },
      });
    const dropped = await put([
      { name: 'dev', registryId: devId },
      { name: 'live', registryId: prodId },
    ]);
    expect(dropped.status).toBe(409);
    expect(((await dropped.json()) as { message: string }).message).toContain('Stage prod');

    const changed = await json<PipelineDto>(
      await put([
        { name: 'dev', registryId: devId },
        { name: 'prod', registryId: prodId, immutableTags: ['v*'] },
        { name: 'dr', registryId: prodId, repository: 'dr/{repository}' },
      ]),
    );
    expect(changed.stages.map((s) => s.name)).toEqual(['dev', 'prod', 'dr']);
    expect(changed.stages[1]!.id).toBe(created.stages[1]!.id);
    expect(changed.stages[1]).toMatchObject({ immutableTags: ['v*'], gates: [] });

    expect((await t.api(`/api/v1/pipelines/${created.id}`, { method: 'DELETE' })).status).toBe(409);
    const registryDelete = await t.api(`/api/v1/registries/${prodId}`, { method: 'DELETE' });
    expect(registryDelete.status).toBe(409);
    expect(((await registryDelete.json()) as { message: string }).message).toContain(
      'pipelines: change-me',
    );

    await t.api(`/api/v1/promotions/${waiting.body.id}/reject`, {
      method: 'POST',
      json: { comment: 'not today' },
    });
    const rejected = await promotionIn(t, waiting.body.id, ['refused']);
    expect(rejected.message).toBe('rejected by ' + rejected.decisions[0]!.name + ': not today');
    // The approval gate says so too, rather than still waiting for an approval; the
    // soak it cut short says it was not decided, not when it would look again.
    expect(rejected.gates).toEqual([
      expect.objectContaining({
        type: 'approval',
        status: 'refused',
        reason: 'rejected by ' + rejected.decisions[0]!.name + ': not today',
        nextCheckAt: null,
      }),
      expect.objectContaining({
        type: 'soak',
        status: 'skipped',
        reason: 'not decided: the promotion was refused',
        nextCheckAt: null,
      }),
    ]);
    expect((await t.api(`/api/v1/pipelines/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.api(`/api/v1/promotions/${waiting.body.id}`)).status).toBe(404);
  });

  it('refuses a promotion naming the fields it gets wrong', async () => {
    const pipeline = await createPipeline(t, {
      name: 'fields',
      stages: [
        { name: 'dev', registryId: devId },
        { name: 'prod', registryId: prodId },
      ],
    });
    const res = await promote(t, pipeline.id, {
      repository: 'Team/App',
      digest: 'sha256:abc',
      toStage: 'dev',
      targetTag: '-x',
    });
    expect(res.status).toBe(400);
    expect((await errorsOf(new Response(JSON.stringify(res.body)))).map((e) => e.field)).toEqual([
      'toStage',
      'repository',
      'digest',
      'targetTag',
    ]);
    const unknown = await promote(t, pipeline.id, {
      repository: 'team/app',
      tag: 'v1',
      toStage: 'qa',
    });
    expect(JSON.stringify(unknown.body)).toContain(
      'the pipeline has no stage qa (stages: dev, prod)',
    );
  });

  it('offers topologies a place to report, per leaf below a stage, when the digest arrived', async () => {
    // What the topologies module does for a stage that roots a tree: name the leaves
    // below it, then report each arrival.
    const leaves = t.app.get(StageLeaves);
    leaves.register(async (registryId, repository) =>
      registryId === prodId
        ? [{ registryId: devId, repository: `leaf/${repository}`, arrivedAt: null }]
        : [],
    );
    const pipeline = await createPipeline(t, {
      name: 'tree-root',
      stages: [
        { name: 'dev', registryId: devId },
        { name: 'root', registryId: prodId, repository: 'root/{repository}' },
      ],
    });
    const client = new RegistryClient({ name: 'dev', url: dev.url });
    const image = await new ImageBuilder(client).image('team/app', {
      tag: 'tree',
      layers: [{ seed: 'tree', size: 4096 }],
    });
    await client.close();
    const asked = await promote(t, pipeline.id, {
      repository: 'team/app',
      tag: 'tree',
      toStage: 'root',
    });
    const done = await promotionIn(t, asked.body.id, ['succeeded', 'failed', 'refused']);
    expect(done.leaves).toEqual([
      { registryId: devId, repository: 'leaf/root/team/app', arrivedAt: null },
    ]);
    const at = new Date('2026-12-01T12:00:00.000Z');
    await leaves.arrived(
      prodId,
      'root/team/app',
      image.descriptor.digest,
      { registryId: devId, repository: 'leaf/root/team/app' },
      at,
    );
    const reported = await promotionIn(t, asked.body.id, ['succeeded']);
    expect(reported.leaves).toEqual([
      { registryId: devId, repository: 'leaf/root/team/app', arrivedAt: at.toISOString() },
    ]);
  });
});
