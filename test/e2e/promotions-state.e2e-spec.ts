import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { PipelineDto } from '../../src/promotions/dto/pipeline.dto.js';
import type { PipelineStateDto } from '../../src/promotions/dto/state.dto.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, promote, promotionIn } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A pipeline's state a page at a time: repositories by name with a count of all of
 * them, and only the newest digests of each when asked (what the console shows).
 */
describe("a pipeline's state, paged", () => {
  let t: TestApp;
  let dev: TestRegistry, test: TestRegistry, prod: TestRegistry;
  let client: RegistryClient;
  let pipeline: PipelineDto;
  const digests: Record<string, string> = {};

  const state = async (query: string) =>
    json<PipelineStateDto>(await t.api(`/api/v1/pipelines/${pipeline.id}/state?${query}`));
  const names = (s: PipelineStateDto, stage: string) =>
    s.stages.find((x) => x.stage === stage)!.repositories.map((r) => r.repository);

  beforeAll(async () => {
    [dev, test, prod] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    client = new RegistryClient({ name: 'dev', url: dev.url });
    pipeline = await createPipeline(t, {
      name: 'paged',
      stages: [
        { name: 'dev', registryId: await addRegistry(t, 'dev', dev) },
        { name: 'test', registryId: await addRegistry(t, 'test', test) },
        {
          name: 'prod',
          registryId: await addRegistry(t, 'prod', prod),
          gates: [{ type: 'approval', required: 1 }],
        },
      ],
    });
    // team/b and team/c once, team/a three times (three digests in each stage).
    const pushes: [string, string][] = [
      ['team/c', '1'],
      ['team/a', '1'],
      ['team/a', '2'],
      ['team/a', '3'],
      ['team/b', '1'],
    ];
    for (const [repository, tag] of pushes) {
      const image = await new ImageBuilder(client).image(repository, {
        tag,
        layers: [{ seed: `${repository}:${tag}`, size: 2048 }],
      });
      digests[`${repository}:${tag}`] = image.descriptor.digest;
      const asked = await promote(t, pipeline.id, { repository, tag, toStage: 'test' });
      expect(asked.status).toBe(202);
      expect((await promotionIn(t, asked.body.id, ['succeeded', 'failed'])).status).toBe(
        'succeeded',
      );
    }
  });
  afterAll(async () => {
    await client?.close();
    await t?.close();
    await Promise.all([dev, test, prod].map((r) => r?.destroy()));
  });

  it('pages repositories by name and counts them all', async () => {
    const first = await state('limit=2');
    expect(first).toMatchObject({ repositoryCount: 3, limit: 2, offset: 0 });
    expect(names(first, 'dev')).toEqual(['team/a', 'team/b']);
    expect(names(first, 'test')).toEqual(['team/a', 'team/b']);
    const second = await state('limit=2&offset=2');
    expect(second).toMatchObject({ repositoryCount: 3, limit: 2, offset: 2 });
    expect(names(second, 'test')).toEqual(['team/c']);
    const beyond = await state('limit=2&offset=10');
    expect(beyond.repositoryCount).toBe(3);
    expect(names(beyond, 'test')).toEqual([]);
    // Unpaged, as before: every repository.
    const all = await state('');
    expect(all).toMatchObject({ repositoryCount: 3, limit: null, offset: 0 });
    expect(names(all, 'test')).toEqual(['team/a', 'team/b', 'team/c']);
    // One repository: counted alone.
    const one = await state('repository=team/b&limit=2');
    expect(one.repositoryCount).toBe(1);
    expect(names(one, 'test')).toEqual(['team/b']);
  });

  it('keeps only the newest digests and tags of each repository when asked, and says how many there are', async () => {
    const capped = await state('digests=2');
    const a = capped.stages.find((s) => s.stage === 'test')!.repositories[0]!;
    expect(a.repository).toBe('team/a');
    expect(a.digestCount).toBe(3);
    expect(a.digests.map((d) => d.digest)).toEqual([digests['team/a:2'], digests['team/a:3']]);
    expect(a.tags.map((x) => x.tag).sort()).toEqual(['1', '2', '3']);
    expect(a.tagCount).toBe(3);
    const fewTags = (await state('tags=2')).stages.find((s) => s.stage === 'test')!
      .repositories[0]!;
    expect(fewTags.tags.map((x) => x.tag)).toEqual(['2', '3']); // the two written last, by name
    expect(fewTags.tagCount).toBe(3);
    expect(fewTags.digests).toHaveLength(3);
    const whole = (await state('')).stages.find((s) => s.stage === 'test')!.repositories[0]!;
    expect(whole.digestCount).toBe(3);
    expect(whole.digests).toHaveLength(3);
    expect(whole.tags).toHaveLength(3);
  });

  it('lists the history by status: open ones (waiting, queued, running) apart', async () => {
    const waiting = await promote(t, pipeline.id, {
      repository: 'team/b',
      tag: '1',
      toStage: 'prod',
    });
    expect(waiting.body.status).toBe('waiting');
    const history = async (query: string) =>
      json<{ items: { id: string; status: string }[]; total: number }>(
        await t.api(`/api/v1/pipelines/${pipeline.id}/history?${query}`),
      );
    expect(await history('status=open')).toMatchObject({
      total: 1,
      items: [{ id: waiting.body.id, status: 'waiting' }],
    });
    expect((await history('status=succeeded&limit=2')).total).toBe(5);
    expect((await history('')).total).toBe(6);
    const bad = await t.api(`/api/v1/pipelines/${pipeline.id}/history?status=pending`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('status');
  });

  it('refuses a bad page, naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['offset=-1', 'offset'],
      ['digests=abc', 'digests'],
      ['tags=101', 'tags'],
    ] as const) {
      const res = await t.api(`/api/v1/pipelines/${pipeline.id}/state?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { field: string }[] };
      expect(body.errors.map((e) => e.field)).toContain(field);
    }
  });
});
