import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

/**
 * /health/ready is open to anyone who reaches the port: when the database fails, it
 * says so without the driver's text (host, port, user, database names).
 */
describe('readiness while the database is gone', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_WORKERS: '0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 naming the failed check, not the database error', async () => {
    expect((await t.api('/health/ready', { token: null })).status).toBe(200);
    const name = new URL(t.database.url).pathname.slice(1);
    await t.database.drop(); // terminates the app's connections; reconnecting fails
    const body = await waitFor('readiness to fail', async () => {
      const res = await t.api('/health/ready', { token: null });
      return res.status === 503 ? await res.text() : undefined;
    });
    expect(JSON.parse(body)).toEqual({
      status: 'unavailable',
      checks: { database: { status: 'down', error: 'the database did not answer the check' } },
    });
    for (const leak of [name, 'does not exist', '127.0.0.1', 'terminat', 'ECONNREFUSED'])
      expect(body).not.toContain(leak);
  });
});
