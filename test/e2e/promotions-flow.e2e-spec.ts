import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { PipelineDto } from '../../src/promotions/dto/pipeline.dto.js';
import type { DryRunDto, PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import type { PipelineStateDto } from '../../src/promotions/dto/state.dto.js';
import { generateSigningKey, pushCosignSignature, type SigningKey } from '../support/cosign.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import {
  createPipeline,
  createToken,
  promote,
  promotion,
  promotionIn,
} from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;
const SBOM = 'application/spdx+json';
const STAGES = ['dev', 'test', 'staging', 'prod'] as const;

/**
 * A digest moves dev → test → staging → prod across four real registries: staging
 * wants a signature and an SBOM, prod two approvals and immutable release tags.
 */
describe('promotion pipelines across four registries', () => {
  let t: TestApp;
  const registries = {} as Record<(typeof STAGES)[number], TestRegistry>;
  const clients = {} as Record<(typeof STAGES)[number], RegistryClient>;
  let pipeline: PipelineDto;
  let key: SigningKey;
  let ci: string, alice: string, bob: string, viewer: string;
  let v1: PushedManifest;

  /** An image in dev with a cosign signature and an SBOM attached as OCI 1.1 referrers. */
  const release = async (tag: string) => {
    const image = await new ImageBuilder(clients.dev).image('team/app', {
      tag,
      layers: [{ seed: `app-${tag}`, size: 40 * KiB }],
    });
    await pushCosignSignature(clients.dev, 'team/app', image.descriptor, key, 'referrer');
    await new ImageBuilder(clients.dev).referrer('team/app', image.descriptor, 'sbom');
    return image;
  };
  const referrerTypes = async (
    stage: (typeof STAGES)[number],
    repository: string,
    digest: string,
  ) =>
    (await clients[stage].referrers(repository, digest)).descriptors
      .map((d) => d.artifactType)
      .sort();

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    for (const stage of STAGES) {
      registries[stage] = await startRegistry();
      clients[stage] = new RegistryClient({ name: stage, url: registries[stage].url });
    }
    const ids = {} as Record<string, string>;
    for (const stage of STAGES)
      ids[stage] = await addRegistry(t, `${stage}-registry`, registries[stage]);
    key = generateSigningKey();
    pipeline = await createPipeline(t, {
      name: 'release',
      stages: [
        { name: 'dev', registryId: ids.dev },
        { name: 'test', registryId: ids.test },
        {
          name: 'staging',
          registryId: ids.staging,
          repository: 'staging/{repository}',
          gates: [
            { type: 'signature', publicKey: key.publicKeyPem },
            { type: 'referrer', artifactType: SBOM },
          ],
        },
        {
          name: 'prod',
          registryId: ids.prod,
          repository: 'prod/{repository}',
          immutableTags: ['v*'],
          gates: [{ type: 'approval', required: 2 }],
        },
      ],
    });
    [ci, alice, bob, viewer] = await Promise.all([
      createToken(t, 'ci', 'operator'),
      createToken(t, 'alice', 'operator'),
      createToken(t, 'bob', 'operator'),
      createToken(t, 'auditor', 'viewer'),
    ]);
    v1 = await release('v1');
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all(Object.values(clients).map((c) => c.close()));
    await Promise.all(Object.values(registries).map((r) => r.destroy()));
  });

  it('promotes a digest stage by stage; its signature and SBOM arrive in every stage; digests identical', async () => {
    const digest = v1.descriptor.digest;
    const toTest = await promote(
      t,
      pipeline.id,
      { repository: 'team/app', tag: 'v1', toStage: 'test' },
      ci,
    );
    expect(toTest.status).toBe(202);
    expect(toTest.body).toMatchObject({
      digest,
      tag: 'v1',
      requestedTag: 'v1',
      from: { stage: 'dev' },
    });
    expect((await promotionIn(t, toTest.body.id, ['succeeded', 'failed', 'refused'])).status).toBe(
      'succeeded',
    );

    const toStaging = await promote(
      t,
      pipeline.id,
      { repository: 'team/app', digest, tag: 'v1', toStage: 'staging' },
      ci,
    );
    expect(toStaging.status).toBe(202);
    const staged = await promotionIn(t, toStaging.body.id, ['succeeded', 'failed', 'refused']);
    expect(staged.status).toBe('succeeded');
    expect(staged.gates.map((g) => [g.type, g.status])).toEqual([
      ['signature', 'passed'],
      ['referrer', 'passed'],
    ]);
    expect(staged.gates[0]!.evidence).toMatchObject({
      via: 'referrer',
      key: expect.stringMatching(/^sha256:/),
    });

    for (const [stage, repository] of [
      ['test', 'team/app'],
      ['staging', 'staging/team/app'],
    ] as const) {
      expect((await clients[stage].headManifest(repository, 'v1'))?.digest).toBe(digest);
      expect(await referrerTypes(stage, repository, digest)).toEqual([
        SBOM,
        'application/vnd.dev.cosign.artifact.sig.v1+json',
      ]);
    }
  });

  it('needs two distinct approvers for prod, never the requester', async () => {
    const digest = v1.descriptor.digest;
    const asked = await promote(
      t,
      pipeline.id,
      { repository: 'team/app', tag: 'v1', toStage: 'prod' },
      ci,
    );
    expect(asked.status).toBe(202);
    expect(asked.body.status).toBe('waiting');
    expect(asked.body.message).toContain('0 of 2 approvals');
    const id = asked.body.id;
    const decide = (token: string, action = 'approve') =>
      t.api(`/api/v1/promotions/${id}/${action}`, {
        method: 'POST',
        json: { comment: 'ok' },
        token,
      });

    expect((await decide(ci)).status).toBe(403); // the requester
    expect((await decide(viewer)).status).toBe(403); // reads only
    const once = await json<PromotionDto>(await decide(alice));
    expect(once.status).toBe('waiting');
    expect(once.message).toContain('1 of 2 approvals (alice)');
    expect((await decide(alice)).status).toBe(409); // one decision per token
    await decide(bob);
    const done = await promotionIn(t, id, ['succeeded', 'failed', 'refused']);
    expect(done.status).toBe('succeeded');
    expect(done.gates[0]).toMatchObject({ status: 'passed', reason: 'approved by alice, bob' });
    expect((await clients.prod.headManifest('prod/team/app', 'v1'))?.digest).toBe(digest);
    expect(await referrerTypes('prod', 'prod/team/app', digest)).toHaveLength(2);
  });

  it('refuses a skipped stage with 409 naming it; an admin forces it with a reason, recorded', async () => {
    const v2 = await release('v2');
    const skip = { repository: 'team/app', tag: 'v2', toStage: 'staging' };
    const refused = await promote(t, pipeline.id, skip, ci);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('is not in stage test');
    expect(
      (await promote(t, pipeline.id, { ...skip, force: true, forceReason: 'hotfix' }, ci)).status,
    ).toBe(403);
    const noReason = await promote(t, pipeline.id, { ...skip, force: true });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('forceReason');

    const forced = await promote(t, pipeline.id, {
      ...skip,
      force: true,
      forceReason: 'incident 4711',
    });
    expect(forced.status).toBe(202);
    expect(forced.body).toMatchObject({
      forced: true,
      forceReason: 'incident 4711',
      from: { stage: 'dev' },
    });
    expect((await promotionIn(t, forced.body.id, ['succeeded', 'failed', 'refused'])).status).toBe(
      'succeeded',
    );
    expect((await clients.staging.headManifest('staging/team/app', 'v2'))?.digest).toBe(
      v2.descriptor.digest,
    );
  });

  it('never re-points an immutable prod tag (409 naming the tag and the stage)', async () => {
    const v2 = (await clients.staging.headManifest('staging/team/app', 'v2'))!.digest;
    const res = await promote(t, pipeline.id, {
      repository: 'team/app',
      digest: v2,
      tag: 'v1',
      toStage: 'prod',
    });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('Tag v1 in stage prod is immutable');
    expect((await clients.prod.headManifest('prod/team/app', 'v1'))?.digest).toBe(
      v1.descriptor.digest,
    );
  });

  it('answers a dry run with the gates and what would be copied, and records nothing', async () => {
    const before = await json<{ total: number }>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/history`),
    );
    const res = await t.api(`/api/v1/pipelines/${pipeline.id}/promotions`, {
      method: 'POST',
      json: { repository: 'team/app', tag: 'v2', toStage: 'prod', dryRun: true },
    });
    const dry = await json<DryRunDto>(res, 200);
    expect(dry).toMatchObject({
      dryRun: true,
      status: 'would-wait',
      tag: 'v2',
      to: { stage: 'prod' },
    });
    expect(dry.message).toContain('0 of 2 approvals');
    expect(dry.plan).toMatchObject({ retag: false, manifests: 3 });
    expect(dry.plan.referrers).toHaveLength(2);
    expect(dry.plan.bytes).toBeGreaterThan(40 * KiB);
    const after = await json<{ total: number }>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/history`),
    );
    expect(after.total).toBe(before.total);
  });

  it('runs one promotion per stage at a time, in request order', async () => {
    const images = [];
    for (const tag of ['q1', 'q2', 'q3'])
      images.push(
        await new ImageBuilder(clients.dev).image('team/queue', {
          tag,
          layers: [{ seed: tag, size: 64 * KiB }],
        }),
      );
    const ids = [];
    for (const tag of ['q1', 'q2', 'q3']) {
      const res = await promote(t, pipeline.id, {
        repository: 'team/queue',
        tag,
        targetTag: 'latest',
        toStage: 'test',
      });
      ids.push(res.body.id);
    }
    const done = [];
    for (const id of ids) done.push(await promotionIn(t, id, ['succeeded', 'failed', 'refused']));
    expect(done.map((p) => p.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (let i = 1; i < done.length; i++)
      expect(Date.parse(done[i]!.startedAt!)).toBeGreaterThanOrEqual(
        Date.parse(done[i - 1]!.endedAt!),
      );
    // The last requested wrote the tag last.
    expect((await clients.test.headManifest('team/queue', 'latest'))?.digest).toBe(
      images[2]!.descriptor.digest,
    );
  });

  it('keeps the history with who, what, from, to, gates and evidence; the state per stage; metrics', async () => {
    const history = await json<{ items: PromotionDto[] }>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/history?stage=prod&repository=team/app`, {
        token: viewer,
      }),
    );
    const prod = history.items.find((p) => p.status === 'succeeded')!;
    expect(prod).toMatchObject({
      requestedBy: 'ci',
      digest: v1.descriptor.digest,
      from: { stage: 'staging', repository: 'staging/team/app' },
      to: { stage: 'prod', repository: 'prod/team/app' },
    });
    expect(prod.decisions.map((d) => d.name)).toEqual(['alice', 'bob']);
    expect(prod.gates[0]!.evidence.approvers).toHaveLength(2);

    const state = await json<PipelineStateDto>(
      await t.api(`/api/v1/pipelines/${pipeline.id}/state?repository=team/app`),
    );
    const prodState = state.stages.find((s) => s.stage === 'prod')!;
    expect(prodState.repositories[0]!.tags).toEqual([
      expect.objectContaining({ tag: 'v1', digest: v1.descriptor.digest }),
    ]);
    const testState = state.stages.find((s) => s.stage === 'test')!;
    expect(testState.repositories[0]!.digests.map((d) => d.digest)).toContain(v1.descriptor.digest);

    expect(
      await metricValue(t, 'regrelay_promotions_total', {
        pipeline: 'release',
        stage: 'prod',
        result: 'succeeded',
      }),
    ).toBe(1);
    expect(
      await metricValue(t, 'regrelay_promotions_total', {
        pipeline: 'release',
        stage: 'test',
        result: 'succeeded',
      }),
    ).toBe(4);
    expect(
      await metricValue(t, 'regrelay_promotion_duration_seconds_count', {
        pipeline: 'release',
        stage: 'staging',
      }),
    ).toBe(2);
  });

  it('records changes in the audit log: the pipeline, each promotion request and decision', async () => {
    type Entries = { items: { action: string; resourceType: string; actor: { name: string } }[] };
    const onPipeline = await json<Entries>(
      await t.api(`/api/v1/audit?resourceType=pipeline&resourceId=${pipeline.id}&limit=500`),
    );
    const actions = onPipeline.items.map((e) => e.action);
    expect(actions).toContain('create');
    expect(actions.filter((a) => a === 'promote').length).toBeGreaterThanOrEqual(5);
    const decisions = await json<Entries>(
      await t.api('/api/v1/audit?resourceType=promotion&limit=500'),
    );
    expect(decisions.items.map((e) => [e.action, e.actor.name])).toEqual(
      expect.arrayContaining([
        ['approve', 'alice'],
        ['approve', 'bob'],
      ]),
    );
  });

  it('shows a pipeline to viewers and lets only admins change it', async () => {
    expect((await t.api(`/api/v1/pipelines/${pipeline.id}`, { token: viewer })).status).toBe(200);
    const res = await t.api('/api/v1/pipelines', {
      method: 'POST',
      token: ci,
      json: { name: 'x', stages: [] },
    });
    expect(res.status).toBe(403);
    void promotion;
  });
});
