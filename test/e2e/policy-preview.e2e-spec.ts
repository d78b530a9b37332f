import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../src/common/free-port.js';
import { RegistryClient } from '../../src/oci/index.js';
import type { PolicyPreviewDto } from '../../src/policies/dto/preview.dto.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('policy preview (filters dry-run against the source)', () => {
  let t: TestApp;
  let source: TestRegistry;
  let sourceId: string;

  beforeAll(async () => {
    source = await startRegistry();
    t = await startTestApp();
    const client = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(client);
    const push = (repository: string, tag: string) =>
      build.image(repository, { tag, layers: [{ seed: `${repository}:${tag}`, size: 512 }] });
    for (const tag of ['v1', 'v2', 'v1-debug', 'latest']) await push('library/alpha', tag);
    await push('library/beta', 'v1');
    await push('library/gamma', 'latest');
    await push('team/app', 'v9');
    await client.close();
    sourceId = await addRegistry(t, 'source', source);
  });
  afterAll(async () => {
    await t?.close();
    await source?.destroy();
  });

  const preview = (body: object, token?: string) =>
    t.api('/api/v1/policies/preview', { method: 'POST', json: body, token });

  it('counts the repositories and tags the filters select, with sample tags', async () => {
    const page = await json<PolicyPreviewDto>(
      await preview({
        sourceRegistryId: sourceId,
        filters: { repositories: ['library/*'], tags: ['v*'], excludeTags: ['*-debug'] },
      }),
    );
    expect(page.repositories).toEqual([
      { name: 'library/alpha', tags: 2, sampleTags: ['v1', 'v2'], complete: true, error: null },
      { name: 'library/beta', tags: 1, sampleTags: ['v1'], complete: true, error: null },
      { name: 'library/gamma', tags: 0, sampleTags: [], complete: true, error: null },
    ]);
    expect(page).toMatchObject({
      repositoryCount: 2,
      tagCount: 3,
      scanned: 4,
      next: null,
      stoppedBy: null,
    });
  });

  it("takes a policy's filters as the policy shows them: semver narrows, latest caps the count", async () => {
    const page = await json<PolicyPreviewDto>(
      await preview({
        sourceRegistryId: sourceId,
        filters: {
          repositories: ['library/alpha'],
          excludeRepositories: [],
          tags: ['*'],
          excludeTags: [],
          semver: '>=1 <3',
          latest: null,
          variants: 'all',
        },
      }),
    );
    // Not a tag of library/alpha is a version: v1 and v2 are not `1.0.0`-shaped.
    expect(page.repositories.map((r) => [r.name, r.tags])).toEqual([['library/alpha', 0]]);
    const capped = await json<PolicyPreviewDto>(
      await preview({
        sourceRegistryId: sourceId,
        filters: { repositories: ['library/alpha'], latest: 1 },
      }),
    );
    expect(capped.repositories.map((r) => r.tags)).toEqual([1]);
    const bad = await preview({ sourceRegistryId: sourceId, filters: { semver: 'soon' } });
    expect(
      (await json<{ errors: { field: string }[] }>(bad, 400)).errors.map((e) => e.field),
    ).toEqual(['filters.semver']);
  });

  it('pages through the catalog with `after` and `next`', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await json<PolicyPreviewDto>(
        await preview({ sourceRegistryId: sourceId, limit: 2, after }),
      );
      seen.push(...page.repositories.map((r) => r.name));
      if (!page.next) break;
      expect(page.stoppedBy).toBe('limit');
      after = page.next;
    }
    expect(seen).toEqual(['library/alpha', 'library/beta', 'library/gamma', 'team/app']);
  });

  it('needs no catalog for exact names, and counts a missing repository as selecting nothing', async () => {
    const page = await json<PolicyPreviewDto>(
      await preview({
        sourceRegistryId: sourceId,
        filters: { repositories: ['team/app', 'team/gone'] },
      }),
    );
    expect(page.repositories.map((r) => [r.name, r.tags])).toEqual([
      ['team/app', 1],
      ['team/gone', 0],
    ]);
    expect(page.repositoryCount).toBe(1);
  });

  it('is a read any role may ask for', async () => {
    const issued = await json<{ token: string }>(
      await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'v', role: 'viewer' } }),
      201,
    );
    const res = await preview({ sourceRegistryId: sourceId }, issued.token);
    expect(res.status).toBe(200);
  });

  it('names the field of a bad pattern or an unknown registry', async () => {
    const bad = await preview({
      sourceRegistryId: '00000000-0000-4000-8000-000000000000',
      filters: { tags: ['re:(unclosed'] },
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: { field: string; reason: string }[] };
    expect(body.errors.map((e) => e.field)).toEqual(['sourceRegistryId', 'filters.tags']);
    expect(body.errors[1]!.reason).toMatch(/re:\(unclosed/);
  });

  it('answers 502 naming the registry when the source cannot be listed', async () => {
    const port = await freePort(); // nothing listens there
    const deadId = await addRegistry(t, 'dead', {
      url: `http://127.0.0.1:${port}`,
    } as TestRegistry);
    const res = await preview({ sourceRegistryId: deadId });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /Could not list the repositories of registry dead/,
    );
  });
});
