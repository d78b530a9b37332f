import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RegistryClient } from '../../src/oci/index.js';
import { RegistriesService } from '../../src/registries/registries.service.js';
import { RegistryClients } from '../../src/registries/registry-clients.js';
import { json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

/** Whether a client's connection pool is closed (the pool is the client's own). */
const isClosed = (client: RegistryClient) =>
  (client as unknown as { agent: { closed: boolean } }).agent.closed;

/**
 * Two replicas on one database: a registry deleted or changed through one must not
 * leave the other holding an open client (pool, sockets) for it.
 */
describe('registry clients across replicas', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      REGRELAY_ADMIN_TOKEN: `replicas-admin-${randomBytes(12).toString('hex')}`,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_WORKERS: '0',
      REGRELAY_REGISTRY_CLIENT_SWEEP_SECONDS: '1',
    };
    a = await startTestApp(env, { database });
    b = await startTestApp(env, { database });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  /** A registry made through A, and B's cached client for it (as B's workers would hold). */
  const registryCachedOnB = async (name: string) => {
    const res = await a.api('/api/v1/registries', {
      method: 'POST',
      json: { name, url: 'http://127.0.0.1:1' },
    });
    const { id } = await json<{ id: string }>(res, 201);
    const client = b.app
      .get(RegistryClients)
      .forRegistry(await b.app.get(RegistriesService).get(id));
    expect(b.app.get(RegistryClients).cachedIds()).toContain(id);
    return { id, client };
  };

  it('closes, on the other replica, the client of a registry deleted through one', async () => {
    const { id, client } = await registryCachedOnB('deleted-elsewhere');
    expect((await a.api(`/api/v1/registries/${id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(
      'replica B to drop the deleted registry client',
      async () => (b.app.get(RegistryClients).cachedIds().includes(id) ? undefined : true),
      { timeoutMs: 15_000 },
    );
    await waitFor('the client to be closed', async () => (isClosed(client) ? true : undefined), {
      timeoutMs: 5_000,
    });
  });

  it('closes, on the other replica, the client of a registry changed through one', async () => {
    const { id, client } = await registryCachedOnB('changed-elsewhere');
    const patched = await a.api(`/api/v1/registries/${id}`, {
      method: 'PATCH',
      json: { maxConcurrentRequests: 4 },
    });
    expect(patched.status).toBe(200);
    await waitFor(
      'the stale client to be closed',
      async () => (isClosed(client) ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    expect(b.app.get(RegistryClients).cachedIds()).not.toContain(id);
  });
});
