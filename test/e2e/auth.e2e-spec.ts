import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('API authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 with a Bearer challenge when no token is sent', async () => {
    const res = await t.api('/api/v1/tokens', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="regrelay"');
    expect(((await res.json()) as { message: string }).message).toMatch(/Authorization: Bearer/);
  });

  it('answers 401 for an unknown token', async () => {
    const res = await t.api('/api/v1/tokens', { token: 'rr_not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('accepts the admin token from REGRELAY_ADMIN_TOKEN', async () => {
    const res = await t.api('/api/v1/tokens');
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { name: string; role: string; source: string }[];
    expect(tokens).toEqual([
      expect.objectContaining({ name: 'REGRELAY_ADMIN_TOKEN', role: 'admin', source: 'env' }),
    ]);
  });

  it('issues tokens whose role limits what they may do, and revokes them', async () => {
    const created = await t.api('/api/v1/tokens', {
      method: 'POST',
      json: { name: 'dashboards', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    const viewer = (await created.json()) as { id: string; token: string; hint: string };
    // The hint is the token's public id, never any of its secret part.
    expect(viewer.hint).toMatch(/^rr_[A-Za-z0-9_-]{8}_…$/);
    expect(viewer.token.startsWith(viewer.hint.slice(0, -1))).toBe(true);
    expect(viewer.token.slice(viewer.hint.length - 1)).toHaveLength(43); // 256 secret bits

    // A viewer may read, but token management needs admin.
    expect((await t.api('/api/v1/tokens', { token: viewer.token })).status).toBe(403);
    const listed = (await (await t.api('/api/v1/tokens')).json()) as Record<string, unknown>[];
    expect(listed.every((row) => !('token' in row) && !('tokenHash' in row))).toBe(true);

    expect((await t.api(`/api/v1/tokens/${viewer.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.api('/health/live', { token: viewer.token })).status).toBe(200);
    expect((await t.api('/api/v1/tokens', { token: viewer.token })).status).toBe(401);
  });

  it('tells any token its own id, name and role (whoami)', async () => {
    const created = await t.api('/api/v1/tokens', {
      method: 'POST',
      json: { name: 'wall-screen', role: 'viewer' },
    });
    const viewer = (await created.json()) as { id: string; token: string };
    const res = await t.api('/api/v1/whoami', { token: viewer.token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: viewer.id, name: 'wall-screen', role: 'viewer' });
    const admin = (await (await t.api('/api/v1/whoami')).json()) as { role: string; name: string };
    expect(admin).toMatchObject({ role: 'admin', name: 'REGRELAY_ADMIN_TOKEN' });
    expect((await t.api('/api/v1/whoami', { token: null })).status).toBe(401);
  });

  it('rejects bad input with the field and the reason', async () => {
    const res = await t.api('/api/v1/tokens', {
      method: 'POST',
      json: { name: '', role: 'root', extra: 1 },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; reason: string }[] };
    const fields = body.errors.map((e) => e.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['extra', 'name', 'role']));
    expect(body.errors.find((e) => e.field === 'role')?.reason).toMatch(/admin, operator, viewer/);
  });

  it('answers 400, not 500, for a malformed id', async () => {
    const res = await t.api('/api/v1/tokens/not-a-uuid', { method: 'DELETE' });
    expect(res.status).toBe(400);
  });
});
