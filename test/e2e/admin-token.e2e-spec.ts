import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

interface TokenRow {
  id: string;
  name: string;
  source: string;
  revokedAt: string | null;
}

/**
 * REGRELAY_ADMIN_TOKEN across restarts on one database: a value revoked by a person
 * stays revoked (and the start does not crash on it), a value the variable registered
 * again after being unset comes back.
 */
describe('REGRELAY_ADMIN_TOKEN across restarts', () => {
  let database: TestDatabase;
  const chosen = `chosen-admin-${randomBytes(12).toString('hex')}`;
  // One key for every start, as one installation has.
  const secretKey = randomBytes(32).toString('base64');
  let other: string;
  let apps: TestApp[] = [];
  const start = async (adminToken: string) => {
    const t = await startTestApp(
      { REGRELAY_ADMIN_TOKEN: adminToken, REGRELAY_SECRET_KEY: secretKey },
      { database },
    );
    apps.push(t);
    return t;
  };
  const stopAll = async () => {
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await stopAll();
    await database?.drop();
  });

  it('starts again after the token it registered was revoked over the API, and keeps it revoked', async () => {
    const first = await start(chosen);
    const created = await first.api('/api/v1/tokens', {
      method: 'POST',
      json: { name: 'second admin', role: 'admin' },
    });
    other = ((await created.json()) as { token: string }).token;
    const rows = (await (await first.api('/api/v1/tokens')).json()) as TokenRow[];
    const fromEnv = rows.find((r) => r.source === 'env')!;
    expect(
      (await first.api(`/api/v1/tokens/${fromEnv.id}`, { method: 'DELETE', token: other })).status,
    ).toBe(204);
    await stopAll();

    // The same value again: this used to fail every start on the unique token hash.
    const again = await start(chosen);
    expect((await again.api('/api/v1/tokens')).status).toBe(401);
    const after = (await (
      await again.api('/api/v1/tokens', { token: other })
    ).json()) as TokenRow[];
    expect(after.filter((r) => r.source === 'env')).toEqual([
      expect.objectContaining({ id: fromEnv.id, revokedAt: expect.any(String) }),
    ]);
    await stopAll();
  });

  it('registers a value again once the variable held another one in between', async () => {
    const next = `next-admin-${randomBytes(12).toString('hex')}`;
    const a = await start(next);
    expect((await a.api('/api/v1/tokens')).status).toBe(200);
    await stopAll();
    // A different value revokes `next` (regrelay did that, not a person)...
    const b = await start(`third-admin-${randomBytes(12).toString('hex')}`);
    expect((await b.api('/api/v1/tokens', { token: next })).status).toBe(401);
    await stopAll();
    // ...so setting it back brings it back.
    const c = await start(next);
    expect((await c.api('/api/v1/tokens')).status).toBe(200);
    const rows = (await (await c.api('/api/v1/tokens')).json()) as TokenRow[];
    expect(rows.filter((r) => r.source === 'env' && !r.revokedAt)).toHaveLength(1);
    await stopAll();
  });
});
