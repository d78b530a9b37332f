import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface FieldErrors {
  errors: { field: string; reason: string }[];
}

describe('registries and policies over REST', () => {
  let t: TestApp;
  let open: TestRegistry, locked: TestRegistry;
  const PASSWORD = 'correct horse battery staple';

  beforeAll(async () => {
    [open, locked] = await Promise.all([
      startRegistry(),
      startRegistry({ users: [{ username: 'relay', password: PASSWORD }] }),
    ]);
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([open?.destroy(), locked?.destroy()]);
  });

  describe('registries', () => {
    it('stores the password sealed and never returns it', async () => {
      const res = await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'locked', url: locked.url + '/', username: 'relay', password: PASSWORD },
      });
      const body = await json<Record<string, unknown>>(res, 201);
      expect(body).toMatchObject({
        name: 'locked',
        url: locked.url,
        username: 'relay',
        hasPassword: true,
      });
      expect(JSON.stringify(body)).not.toContain(PASSWORD);
      expect(JSON.stringify(await json(await t.api('/api/v1/registries')))).not.toContain(PASSWORD);

      const [row] = (await t.app
        .get(DataSource)
        .query('SELECT password_sealed FROM registry WHERE id = $1', [body.id])) as {
        password_sealed: string;
      }[];
      expect(row!.password_sealed).toMatch(/^v1:[0-9a-f]{8}:/);
      expect(row!.password_sealed).not.toContain(PASSWORD);
    });

    it('pings with the stored credentials and records capabilities', async () => {
      const [locked] = (
        await json<{ id: string; name: string }[]>(await t.api('/api/v1/registries'))
      ).filter((r) => r.name === 'locked');
      const ping = await json<Record<string, unknown>>(
        await t.api(`/api/v1/registries/${locked!.id}/ping`, { method: 'POST' }),
      );
      expect(ping).toMatchObject({
        reachable: true,
        error: null,
        capabilities: { referrersApi: false, tagDelete: false, catalog: true },
      });
      const stored = await json<Record<string, unknown>>(
        await t.api(`/api/v1/registries/${locked!.id}`),
      );
      expect(stored.capabilities).toEqual(ping.capabilities);
      expect(stored.capabilitiesCheckedAt).toEqual(expect.any(String));
    });

    it('reports wrong credentials and unreachable registries without leaking secrets', async () => {
      const wrong = await addRegistry(t, 'wrong-password', locked, {
        username: 'relay',
        password: 'not-it-9f8e7d',
      });
      const bad = await json<{ reachable: boolean; error: string }>(
        await t.api(`/api/v1/registries/${wrong}/ping`, { method: 'POST' }),
      );
      expect(bad.reachable).toBe(false);
      expect(bad.error).toMatch(/authentication failed/);
      expect(bad.error).not.toContain('not-it-9f8e7d');

      const down = await addRegistry(t, 'down', { url: 'http://127.0.0.1:9' } as TestRegistry);
      const ping = await json<{ reachable: boolean; error: string }>(
        await t.api(`/api/v1/registries/${down}/ping`, { method: 'POST' }),
      );
      expect(ping.reachable).toBe(false);
      expect(ping.error).toBeTruthy();
    });

    it('rejects bad input with the field and the reason', async () => {
      const res = await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'Bad Name', url: 'ftp://x', caCert: 'not a certificate' },
      });
      const body = await json<FieldErrors>(res, 400);
      expect(body.errors.map((e) => e.field)).toEqual(['name']);

      const badUrl = await json<FieldErrors>(
        await t.api('/api/v1/registries', {
          method: 'POST',
          json: { name: 'x', url: 'https://h/v2/' },
        }),
        400,
      );
      expect(badUrl.errors).toEqual([{ field: 'url', reason: expect.stringMatching(/base URL/) }]);
      const badCa = await json<FieldErrors>(
        await t.api('/api/v1/registries', {
          method: 'POST',
          json: { name: 'y', url: 'https://h', caCert: 'nope' },
        }),
        400,
      );
      expect(badCa.errors[0]).toMatchObject({ field: 'caCert' });
    });

    it('refuses a second registry with the same name (409)', async () => {
      await addRegistry(t, 'twin', open);
      const res = await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'twin', url: open.url },
      });
      expect(res.status).toBe(409);
    });

    it('updates fields and clears the password with null', async () => {
      const id = await addRegistry(t, 'patchable', open, { username: 'a', password: 'b' });
      const patched = await json<Record<string, unknown>>(
        await t.api(`/api/v1/registries/${id}`, {
          method: 'PATCH',
          json: { password: null, maxConcurrentRequests: 4 },
        }),
      );
      expect(patched).toMatchObject({
        hasPassword: false,
        maxConcurrentRequests: 4,
        username: 'a',
      });
      expect((await t.api('/api/v1/registries/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
    });
  });

  describe('policies', () => {
    let source: string, destination: string;
    beforeAll(async () => {
      source = await addRegistry(t, 'policy-source', open);
      destination = await addRegistry(t, 'policy-destination', open);
    });

    it('creates a policy with documented defaults', async () => {
      const res = await t.api('/api/v1/policies', {
        method: 'POST',
        json: {
          name: 'defaults',
          sourceRegistryId: source,
          destinations: [{ registryId: destination }],
        },
      });
      expect(await json(res, 201)).toMatchObject({
        filters: { repositories: ['**'], excludeRepositories: [], tags: ['*'], excludeTags: [] },
        trigger: { type: 'manual' },
        override: false,
        deletion: false,
        enabled: true,
        destinations: [{ registryId: destination, namespace: null }],
      });
    });

    it('names every invalid field at once', async () => {
      const res = await t.api('/api/v1/policies', {
        method: 'POST',
        json: {
          name: 'broken',
          sourceRegistryId: source,
          destinations: [
            { registryId: '00000000-0000-4000-8000-000000000000' },
            { registryId: source },
            { registryId: destination, namespace: 'Bad/NS' },
          ],
          filters: { repositories: ['re:(unclosed'], tags: ['*'] },
          trigger: { type: 'cron', cron: 'every tuesday' },
        },
      });
      const body = await json<FieldErrors>(res, 400);
      expect(body.errors.map((e) => e.field).sort()).toEqual(
        [
          'destinations[0].registryId',
          'destinations[1]',
          'destinations[2].namespace',
          'filters.repositories',
          'trigger.cron',
        ].sort(),
      );
      expect(body.errors.find((e) => e.field === 'destinations[1]')?.reason).toMatch(/onto itself/);
    });

    it('validates nested DTO fields with their paths', async () => {
      const res = await t.api('/api/v1/policies', {
        method: 'POST',
        json: {
          name: 'nested',
          sourceRegistryId: 'nope',
          destinations: [{ registryId: 'x' }],
          trigger: { type: 'sometimes' },
        },
      });
      const fields = (await json<FieldErrors>(res, 400)).errors.map((e) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining(['sourceRegistryId', 'destinations[0].registryId', 'trigger.type']),
      );
    });

    it('replaces destinations and filters on PATCH, and refuses to delete registries in use', async () => {
      const id = await addPolicy(t, {
        name: 'patch-me',
        sourceRegistryId: source,
        destinations: [{ registryId: destination }],
        trigger: { type: 'cron', cron: '0 * * * *' },
      });
      const patched = await json<Record<string, unknown>>(
        await t.api(`/api/v1/policies/${id}`, {
          method: 'PATCH',
          json: {
            destinations: [{ registryId: destination, namespace: 'mirror' }],
            filters: { tags: ['v*'] },
            maxConcurrency: 2,
          },
        }),
      );
      expect(patched).toMatchObject({
        destinations: [{ registryId: destination, namespace: 'mirror' }],
        filters: { repositories: ['**'], tags: ['v*'] },
        maxConcurrency: 2,
        trigger: { type: 'cron', cron: '0 * * * *' },
      });

      const refused = await t.api(`/api/v1/registries/${destination}`, { method: 'DELETE' });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { policies: string[] }).policies).toEqual([
        'defaults',
        'patch-me',
      ]);

      expect((await t.api(`/api/v1/policies/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await t.api(`/api/v1/policies/${id}`)).status).toBe(404);
    });

    it('refuses to run a disabled policy', async () => {
      const id = await addPolicy(t, {
        name: 'off',
        sourceRegistryId: source,
        destinations: [{ registryId: destination }],
        enabled: false,
      });
      const res = await t.api(`/api/v1/policies/${id}/executions`, { method: 'POST' });
      expect(res.status).toBe(409);
    });
  });
});
