import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { postWebhook } from '../support/webhooks.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * How API tokens and webhook secrets are stored: keyed lookup values (HMAC under a
 * server key), no part of a chosen token, and rows stored by an older version (bare
 * SHA-256) working until the next start re-keys them.
 */
describe('token and webhook secret storage', () => {
  let database: TestDatabase;
  const secretKey = randomBytes(32).toString('base64');
  const adminToken = `chosen-admin-${randomBytes(12).toString('hex')}`;
  const legacyToken = `legacy-chosen-${randomBytes(12).toString('hex')}`;
  const webhookSecret = `chosen-webhook-${randomBytes(12).toString('hex')}`;
  let first: TestApp;
  let registryId: string;
  const start = () =>
    startTestApp(
      { REGRELAY_ADMIN_TOKEN: adminToken, REGRELAY_SECRET_KEY: secretKey },
      { database },
    );
  const sql = <T>(t: TestApp, text: string, params: unknown[] = []) =>
    t.app.get(DataSource).query(text, params) as Promise<T[]>;
  const webhookStatus = async (t: TestApp) => {
    const res = await postWebhook(t, 'distribution', {
      authorization: `Bearer ${webhookSecret}`,
      body: JSON.stringify({ events: [] }),
    });
    await res.body?.cancel();
    return res.status;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    first = await start();
  });
  afterAll(async () => {
    await first?.close();
    await database?.drop();
  });

  it('stores keyed lookup values and hints that hold nothing of a chosen token', async () => {
    const [row] = await sql<{ token_hash: string; token_hint: string }>(
      first,
      `SELECT token_hash, token_hint FROM api_token WHERE source = 'env'`,
    );
    expect(row!.token_hash).toMatch(/^hmac:[0-9a-f]{64}$/);
    expect(row!.token_hash).not.toContain(sha256(adminToken));
    expect(row!.token_hint).toMatch(/^…[0-9a-f]{8}$/);
    expect(adminToken).not.toContain(row!.token_hint.slice(1));
    const listed = (await (await first.api('/api/v1/tokens')).json()) as { hint: string }[];
    expect(listed.map((t) => t.hint)).toEqual([row!.token_hint]);

    const created = await first.api('/api/v1/registries', {
      method: 'POST',
      json: { name: 'hq', url: 'http://127.0.0.1:1', webhookSecret },
    });
    expect(created.status).toBe(201);
    registryId = ((await created.json()) as { id: string }).id;
    const [registry] = await sql<{ webhook_secret_hash: string }>(
      first,
      'SELECT webhook_secret_hash FROM registry WHERE id = $1',
      [registryId],
    );
    expect(registry!.webhook_secret_hash).toMatch(/^hmac:[0-9a-f]{64}$/);
    expect(registry!.webhook_secret_hash).not.toContain(
      sha256(`regrelay-webhook:${webhookSecret}`),
    );
  });

  it('accepts rows an older version stored until a start re-keys them, once', async () => {
    // What the previous version wrote: a bare SHA-256 and the token's first characters.
    await sql(
      first,
      `INSERT INTO api_token (name, role, source, token_hash, token_hint)
       VALUES ('old ci', 'viewer', 'api', $1, NULL)`,
      [sha256(legacyToken)],
    );
    await sql(first, 'UPDATE registry SET webhook_secret_hash = $1 WHERE id = $2', [
      sha256(`regrelay-webhook:${webhookSecret}`),
      registryId,
    ]);
    expect((await first.api('/api/v1/registries', { token: legacyToken })).status).toBe(200);
    expect(await webhookStatus(first)).not.toBe(401);
    await first.close();

    first = await start();
    const rows = await sql<{ name: string; token_hash: string; token_hint: string }>(
      first,
      `SELECT name, token_hash, token_hint FROM api_token ORDER BY name`,
    );
    for (const row of rows) {
      expect(row.token_hash).toMatch(/^hmac:[0-9a-f]{64}$/);
      expect(row.token_hint).toMatch(/^…[0-9a-f]{8}$/);
    }
    const oldCi = rows.find((r) => r.name === 'old ci')!;
    expect(oldCi.token_hash).not.toContain(sha256(legacyToken));
    const [registry] = await sql<{ webhook_secret_hash: string; updated_at: Date }>(
      first,
      'SELECT webhook_secret_hash FROM registry WHERE id = $1',
      [registryId],
    );
    expect(registry!.webhook_secret_hash).toMatch(/^hmac:/);
    expect((await first.api('/api/v1/registries', { token: legacyToken })).status).toBe(200);
    expect(await webhookStatus(first)).not.toBe(401);

    // A second start finds nothing left to re-key: the values stay as they are.
    await first.close();
    first = await start();
    const again = await sql<{ name: string; token_hash: string }>(
      first,
      'SELECT name, token_hash FROM api_token ORDER BY name',
    );
    expect(again.map((r) => r.token_hash)).toEqual(rows.map((r) => r.token_hash));
  });
});
