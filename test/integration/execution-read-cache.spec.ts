import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ExecutionReadCache } from '../../src/replication/tasks/execution-read-cache.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The per-execution read cache inside the real app and database: what it serves is
 * checked against rows changed behind its back, so a read it skipped shows as a
 * stale value and a read it made shows as a fresh one.
 */
describe('ExecutionReadCache', () => {
  let t: TestApp;
  let db: DataSource;
  let cache: ExecutionReadCache;
  let clock = 1_000_000;
  let registryId: string;

  const execution = async (scope: object | null = null): Promise<string> => {
    const [{ id }] = await db.query(
      `INSERT INTO execution (owner_kind, owner_id, trigger, status, planned, scope)
       VALUES ('copy', $1, 'manual', 'succeeded', true, $2) RETURNING id`,
      [randomUUID(), scope],
    );
    return id;
  };

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_WORKERS: '0' });
    db = t.app.get(DataSource);
    cache = t.app.get(ExecutionReadCache);
    cache.now = () => clock;
    [{ id: registryId }] = await db.query(
      `INSERT INTO registry (name, url) VALUES ('cached', 'http://127.0.0.1:1') RETURNING id`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a registry from one read per execution, and reads it afresh for a new one', async () => {
    const first = await execution();
    expect((await cache.registry(first, registryId)).url).toBe('http://127.0.0.1:1');
    await db.query(`UPDATE registry SET url = 'http://127.0.0.1:9' WHERE id = $1`, [registryId]);
    expect((await cache.registry(first, registryId)).url).toBe('http://127.0.0.1:1');
    expect((await cache.registry(await execution(), registryId)).url).toBe('http://127.0.0.1:9');
    await db.query(`UPDATE registry SET url = 'http://127.0.0.1:1' WHERE id = $1`, [registryId]);
  });

  it('reads a registry again after 30 s, and at once when it is changed through the app', async () => {
    const id = await execution();
    expect((await cache.registry(id, registryId)).url).toBe('http://127.0.0.1:1');
    await db.query(`UPDATE registry SET url = 'http://127.0.0.1:2' WHERE id = $1`, [registryId]);
    clock += 29_000;
    expect((await cache.registry(id, registryId)).url).toBe('http://127.0.0.1:1');
    clock += 2_000;
    expect((await cache.registry(id, registryId)).url).toBe('http://127.0.0.1:2');
    const res = await t.api(`/api/v1/registries/${registryId}`, {
      method: 'PATCH',
      json: { url: 'http://127.0.0.1:3' },
    });
    expect(res.status).toBe(200);
    expect((await cache.registry(id, registryId)).url).toBe('http://127.0.0.1:3');
  });

  it('does not keep a failed read', async () => {
    const id = await execution();
    const later = randomUUID();
    await expect(cache.registry(id, later)).rejects.toThrow();
    await db.query(
      `INSERT INTO registry (id, name, url) VALUES ($1, 'cached-later', 'http://127.0.0.1:4')`,
      [later],
    );
    expect((await cache.registry(id, later)).name).toBe('cached-later');
  });

  it('answers event times from the execution scope', async () => {
    const event = await execution({ since: { 'app:v1': '2026-01-01T00:00:00.000Z' } });
    const full = await execution();
    expect(await cache.eventTime(event, 'app', 'v1')).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(await cache.eventTime(event, 'app', 'v2')).toBeUndefined();
    expect(await cache.eventTime(full, 'app', 'v1')).toBeUndefined();
  });
});
