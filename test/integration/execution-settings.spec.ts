import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ExecutionSettings } from '../../src/replication/tasks/execution-settings.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The per-execution settings cache inside the real app and database: what it serves
 * is checked against rows changed behind its back, so a read it skipped shows as a
 * stale value and a read it made shows as a fresh one.
 */
describe('ExecutionSettings', () => {
  let t: TestApp;
  let db: DataSource;
  let settings: ExecutionSettings;
  let clock = 1_000_000;
  let registryId: string;
  let policyId: string;

  const execution = async (scope: object | null = null): Promise<string> => {
    const [{ id }] = await db.query(
      `INSERT INTO execution (policy_id, trigger, status, planned, scope)
       VALUES ($1, 'manual', 'succeeded', true, $2) RETURNING id`,
      [policyId, scope],
    );
    return id;
  };
  const insertPolicy = async (id: string, name: string) => {
    await db.query(
      `INSERT INTO policy (id, name, source_registry_id, repositories, tags, trigger_type)
       VALUES ($1, $2, $3, '{**}', '{*}', 'manual')`,
      [id, name, registryId],
    );
  };

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_WORKERS: '0' });
    db = t.app.get(DataSource);
    settings = t.app.get(ExecutionSettings);
    settings.now = () => clock;
    [{ id: registryId }] = await db.query(
      `INSERT INTO registry (name, url) VALUES ('settings', 'http://127.0.0.1:1') RETURNING id`,
    );
    policyId = randomUUID();
    await insertPolicy(policyId, 'settings');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a policy from one read per execution, and reads it afresh for a new one', async () => {
    const [first, second] = [await execution(), await execution()];
    expect((await settings.policy(first, policyId)).maxConcurrency).toBeNull();
    await db.query('UPDATE policy SET max_concurrency = 7 WHERE id = $1', [policyId]);
    expect((await settings.policy(first, policyId)).maxConcurrency).toBeNull();
    expect((await settings.policy(second, policyId)).maxConcurrency).toBe(7);
  });

  it('reads a registry again after 30 s, and at once when it is changed through the app', async () => {
    const id = await execution();
    expect((await settings.registry(id, registryId)).url).toBe('http://127.0.0.1:1');
    await db.query(`UPDATE registry SET url = 'http://127.0.0.1:2' WHERE id = $1`, [registryId]);
    clock += 29_000;
    expect((await settings.registry(id, registryId)).url).toBe('http://127.0.0.1:1');
    clock += 2_000;
    expect((await settings.registry(id, registryId)).url).toBe('http://127.0.0.1:2');
    const res = await t.api(`/api/v1/registries/${registryId}`, {
      method: 'PATCH',
      json: { url: 'http://127.0.0.1:3' },
    });
    expect(res.status).toBe(200);
    expect((await settings.registry(id, registryId)).url).toBe('http://127.0.0.1:3');
  });

  it('does not keep a failed read', async () => {
    const id = await execution();
    const later = randomUUID();
    await expect(settings.policy(id, later)).rejects.toThrow();
    await insertPolicy(later, 'settings-later');
    expect((await settings.policy(id, later)).name).toBe('settings-later');
  });

  it('answers event times from the execution scope', async () => {
    const event = await execution({ since: { 'app:v1': '2026-01-01T00:00:00.000Z' } });
    const full = await execution();
    expect(await settings.eventTime(event, 'app', 'v1')).toEqual(
      new Date('2026-01-01T00:00:00.000Z'),
    );
    expect(await settings.eventTime(event, 'app', 'v2')).toBeUndefined();
    expect(await settings.eventTime(full, 'app', 'v1')).toBeUndefined();
  });
});
