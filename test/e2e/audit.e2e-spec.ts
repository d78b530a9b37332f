import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AuditRetention } from '../../src/audit/audit-retention.js';
import type { AuditEntryDto } from '../../src/audit/dto/audit.dto.js';
import { json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Page {
  items: AuditEntryDto[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * The audit log: every change made over the API, who made it, before and after with
 * secrets redacted; failed requests change nothing and leave no entry.
 */
describe('audit log', () => {
  let t: TestApp;
  const password = 'registry-Pa55word-never-logged';
  const webhookSecret = 'chosen-webhook-secret-never-logged';
  const rotatedSecret = 'rotated-webhook-secret-never-logged';
  const secrets: string[] = [password, webhookSecret, rotatedSecret];
  let registryId: string;
  let policyId: string;
  let operator: { id: string; token: string };

  const audit = async (query = '', token?: string) =>
    json<Page>(await t.api(`/api/v1/audit${query}`, { token }));

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_WORKERS: '0' });
    const created = await t.api('/api/v1/tokens', {
      method: 'POST',
      json: { name: 'ci-operator', role: 'operator' },
    });
    operator = await json(created, 201);
    secrets.push(operator.token);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records each change with who, what, before and after, and the request id', async () => {
    const made = await t.api('/api/v1/registries', {
      method: 'POST',
      token: operator.token,
      headers: { 'x-request-id': 'create-hq-1' },
      json: { name: 'hq', url: 'http://127.0.0.1:1', username: 'relay', password, webhookSecret },
    });
    registryId = (await json<{ id: string }>(made, 201)).id;
    const registry = async (query: string) =>
      (await audit(`?resourceType=registry&resourceId=${registryId}${query}`)).items;
    const [created] = await registry('');
    expect(created).toMatchObject({
      actor: { tokenId: operator.id, name: 'ci-operator' },
      action: 'create',
      resourceType: 'registry',
      resourceId: registryId,
      before: null,
      after: { id: registryId, name: 'hq', hasPassword: true, hasWebhookSecret: true },
      requestId: 'create-hq-1',
    });

    expect(
      (
        await t.api(`/api/v1/registries/${registryId}`, {
          method: 'PATCH',
          json: { url: 'http://127.0.0.1:2', password: 'another-Pa55word-never-logged' },
        })
      ).status,
    ).toBe(200);
    secrets.push('another-Pa55word-never-logged');
    const [updated] = await registry('');
    expect(updated).toMatchObject({
      actor: { name: 'REGRELAY_ADMIN_TOKEN' },
      action: 'update',
      before: { url: 'http://127.0.0.1:1' },
      after: { url: 'http://127.0.0.1:2' },
    });

    const rotated = await t.api(`/api/v1/registries/${registryId}/webhook-secret`, {
      method: 'POST',
      json: { webhookSecret: rotatedSecret },
    });
    expect(rotated.status).toBe(200);
    expect((await registry(''))[0]).toMatchObject({ action: 'rotate-webhook-secret' });
  });

  it('records policies, tokens and executions too', async () => {
    const destination = await json<{ id: string }>(
      await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'edge', url: 'http://127.0.0.1:3' },
      }),
      201,
    );
    policyId = (
      await json<{ id: string }>(
        await t.api('/api/v1/policies', {
          method: 'POST',
          json: {
            name: 'to-edge',
            sourceRegistryId: registryId,
            destinations: [{ registryId: destination.id }],
          },
        }),
        201,
      )
    ).id;
    const patched = await t.api(`/api/v1/policies/${policyId}`, {
      method: 'PATCH',
      json: { enabled: false },
    });
    expect(patched.status).toBe(200);
    await t.api(`/api/v1/policies/${policyId}`, { method: 'PATCH', json: { enabled: true } });
    const triggered = await json<{ id: string }>(
      await t.api(`/api/v1/policies/${policyId}/executions`, { method: 'POST' }),
      202,
    );
    const stopped = await t.api(`/api/v1/executions/${triggered.id}/stop`, { method: 'POST' });
    expect(stopped.status).toBe(202);
    const viewer = await json<{ id: string; token: string }>(
      await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'wall', role: 'viewer' } }),
      201,
    );
    secrets.push(viewer.token);
    expect((await t.api(`/api/v1/tokens/${viewer.id}`, { method: 'DELETE' })).status).toBe(204);

    const policy = (await audit(`?resourceType=policy&resourceId=${policyId}`)).items;
    expect(policy.map((e) => e.action)).toEqual([
      'trigger-execution',
      'update',
      'update',
      'create',
    ]);
    expect(policy[2]).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
    expect(policy[0]!.after).toMatchObject({ id: triggered.id, coalesced: false });
    const [stop] = (await audit(`?resourceType=execution&resourceId=${triggered.id}`)).items;
    expect(stop).toMatchObject({
      action: 'stop',
      before: { status: 'pending' },
      after: { status: 'stopped' },
    });
    const token = (await audit(`?resourceType=token&resourceId=${viewer.id}`)).items;
    expect(token.map((e) => e.action)).toEqual(['revoke', 'create']);
    expect(token[0]).toMatchObject({ before: { revokedAt: null }, after: { name: 'wall' } });
    expect((token[0]!.after as { revokedAt: string | null }).revokedAt).not.toBeNull();
  });

  it('never stores a secret, in the API answer or in the table', async () => {
    const everything = JSON.stringify(await audit('?limit=500'));
    const rows: { before: string | null; after: string | null }[] = await t.app
      .get(DataSource)
      .query('SELECT before::text, after::text FROM audit_log');
    const stored = JSON.stringify(rows);
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    // The creation of the operator token: the answer carried the token, the entry does not.
    const [issued] = (await audit(`?resourceType=token&resourceId=${operator.id}`)).items;
    expect(issued).toMatchObject({ action: 'create', after: { name: 'ci-operator' } });
  });

  it('records nothing for a refused or failed request', async () => {
    const before = (await audit()).total;
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(
      (await t.api(`/api/v1/registries/${missing}`, { method: 'PATCH', json: { name: 'x' } }))
        .status,
    ).toBe(404);
    expect((await t.api('/api/v1/registries', { method: 'POST', json: { name: '' } })).status).toBe(
      400,
    );
    expect(
      (
        await t.api('/api/v1/registries', {
          method: 'POST',
          json: { name: 'hq', url: 'http://127.0.0.1:9' },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await t.api('/api/v1/tokens', {
          method: 'POST',
          token: operator.token,
          json: { name: 'x', role: 'admin' },
        })
      ).status,
    ).toBe(403);
    expect((await audit()).total).toBe(before);
  });

  it('filters by actor (token id or name), pages, and is for admins only', async () => {
    const byName = await audit('?actor=ci-operator');
    const byId = await audit(`?actor=${operator.id}`);
    expect(byName.total).toBe(1);
    expect(byId.items).toEqual(byName.items);
    const all = await audit();
    const page = await audit('?limit=2&offset=1');
    expect(page).toMatchObject({ total: all.total, limit: 2, offset: 1 });
    expect(page.items).toEqual(all.items.slice(1, 3));

    expect((await t.api('/api/v1/audit', { token: operator.token })).status).toBe(403);
    const bad = await t.api('/api/v1/audit?limit=0&resourceType=Not%20a%20type');
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { errors: { field: string }[] }).errors.map(
      (e) => e.field,
    );
    expect(fields.sort()).toEqual(['limit', 'resourceType']);
  });

  it('prunes entries older than REGRELAY_AUDIT_RETENTION_DAYS (365 by default)', async () => {
    const sql = t.app.get(DataSource);
    await sql.query(
      `INSERT INTO audit_log (at, actor_name, action, resource_type, resource_id)
       VALUES (now() - interval '400 days', 'old', 'delete', 'registry', 'gone'),
              (now() - interval '300 days', 'kept', 'delete', 'registry', 'kept')`,
    );
    expect(await t.app.get(AuditRetention).prune()).toBe(1);
    const left: { resource_id: string }[] = await sql.query(
      `SELECT resource_id FROM audit_log WHERE actor_name IN ('old', 'kept')`,
    );
    expect(left).toEqual([{ resource_id: 'kept' }]);
  });
});
