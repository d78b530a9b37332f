import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addRegistry, json } from '../support/replication-api.js';
import type { TestRegistry } from '../support/registry.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface FieldErrors {
  errors: { field: string; reason: string }[];
}

/** Policies over HTTP: filters that RE2 cannot run, and copies a policy would select again. */
describe('policy validation against hostile or looping filters', () => {
  let t: TestApp;
  let hub: string, other: string;

  beforeAll(async () => {
    t = await startTestApp();
    // Never contacted: validation only.
    hub = await addRegistry(t, 'hub', { url: 'http://127.0.0.1:9' } as TestRegistry);
    other = await addRegistry(t, 'other', { url: 'http://127.0.0.1:10' } as TestRegistry);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (name: string, body: object) =>
    t.api('/api/v1/policies', {
      method: 'POST',
      json: { name, sourceRegistryId: hub, destinations: [{ registryId: other }], ...body },
    });

  it('refuses re: patterns RE2 cannot compile, and one that would escape its anchoring', async () => {
    const body = await json<FieldErrors>(
      await post('backreference', {
        filters: { tags: ['re:(v)\\1'], excludeRepositories: ['re:v1)|(rc'] },
      }),
      400,
    );
    expect(body.errors).toEqual([
      {
        field: 'filters.excludeRepositories',
        reason: expect.stringMatching(/unexpected \)/),
      },
      {
        field: 'filters.tags',
        reason: expect.stringMatching(/invalid escape sequence.*RE2.*backreferences/),
      },
    ]);
    // The catastrophic-on-backtracking pattern is fine: RE2 runs it in linear time.
    await json(await post('nested', { filters: { tags: ['re:(a+)+$'] } }), 201);
  });

  it('refuses a namespace in the source registry that the filters select again', async () => {
    const body = await json<FieldErrors>(
      await post('mirror-into-itself', {
        destinations: [{ registryId: other }, { registryId: hub, namespace: 'mirror' }],
      }),
      400,
    );
    expect(body.errors).toEqual([
      {
        field: 'destinations[1].namespace',
        reason: expect.stringMatching(
          /pattern "\*\*" selects repositories under "mirror\/".*mirror\/mirror\/x.*add "mirror\/\*\*" to filters\.excludeRepositories/,
        ),
      },
    ]);
  });

  it('allows same-registry namespaces the filters cannot select, and says so on PATCH', async () => {
    const created = await json<{ id: string }>(
      await post('team-a-backup', {
        filters: { repositories: ['team-a/**'] },
        destinations: [{ registryId: hub, namespace: 'backup' }],
      }),
      201,
    );
    await json(
      await post('all-but-mirror', {
        filters: { repositories: ['**'], excludeRepositories: ['mirror/**'] },
        destinations: [{ registryId: hub, namespace: 'mirror' }],
      }),
      201,
    );
    const patched = await json<FieldErrors>(
      await t.api(`/api/v1/policies/${created.id}`, {
        method: 'PATCH',
        json: { filters: { repositories: ['team-a/**', 'backup/**'] } },
      }),
      400,
    );
    expect(patched.errors[0]?.field).toBe('destinations[0].namespace');
  });
});
