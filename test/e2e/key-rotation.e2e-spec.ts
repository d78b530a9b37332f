import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { keyId, SecretBox } from '../../src/secrets/secret-box.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { postWebhook } from '../support/webhooks.js';

const CLI = join(import.meta.dirname, '../../dist/bootstrap/rotate-keys-cli.js');
const newKey = () => randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');

/**
 * Rotating REGRELAY_SECRET_KEY: values sealed with the previous key are sealed again
 * with the new one (at start, and by `npm run rotate-keys`), after which the previous
 * key can be removed and everything still opens.
 */
describe('secret key rotation', () => {
  let database: TestDatabase;
  let registry: TestRegistry;
  const adminToken = `rotation-admin-${randomBytes(12).toString('hex')}`;
  const webhookSecret = `rotation-webhook-${randomBytes(12).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  let registryId: string;
  let app: TestApp | undefined;
  const keys = { first: newKey(), second: newKey(), third: newKey() };

  const start = async (current: Buffer, previous: Buffer[] = []) => {
    await app?.close();
    app = await startTestApp(
      {
        REGRELAY_ADMIN_TOKEN: adminToken,
        REGRELAY_SECRET_KEY: b64(current),
        REGRELAY_SECRET_KEY_PREVIOUS: previous.map(b64).join(','),
        REGRELAY_WORKERS: '0',
      },
      { database },
    );
    return app;
  };
  /** The key id of every sealed value in the database. */
  const sealedWith = async (t: TestApp) => {
    const rows: { sealed: string }[] = await t.app.get(DataSource).query(
      `SELECT password_sealed AS sealed FROM registry
       UNION ALL SELECT webhook_secret_sealed FROM registry
       UNION ALL SELECT key_sealed FROM lookup_key`,
    );
    return [...new Set(rows.map((r) => r.sealed.split(':')[1]))];
  };
  /** Everything that needs a sealed value: token lookups, the webhook secret, the password. */
  const everythingOpens = async (t: TestApp) => {
    expect((await t.api('/api/v1/registries')).status).toBe(200);
    const hook = await postWebhook(t, 'distribution', {
      authorization: `Bearer ${webhookSecret}`,
      body: JSON.stringify({ events: [] }),
    });
    await hook.body?.cancel();
    expect(hook.status).toBe(202);
    const ping = await t.api(`/api/v1/registries/${registryId}/ping`, { method: 'POST' });
    expect(await ping.json()).toMatchObject({ reachable: true, error: null });
  };
  const rotateKeys = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, [CLI], {
      env: { PATH: process.env.PATH, LOG_FORMAT: 'json', DATABASE_URL: database.url, ...env },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout + error.stderr,
      }),
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    registry = await startRegistry({ users: [{ username: 'relay', password }] });
    const t = await start(keys.first);
    const created = await t.api('/api/v1/registries', {
      method: 'POST',
      json: { name: 'hq', url: registry.url, username: 'relay', password, webhookSecret },
    });
    expect(created.status).toBe(201);
    registryId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await app?.close();
    await registry?.destroy();
    await database?.drop();
  });

  it('re-seals at start what the previous key sealed, so the previous key can go', async () => {
    expect(await sealedWith(app!)).toEqual([keyId(keys.first)]);
    await everythingOpens(app!);

    const rotated = await start(keys.second, [keys.first]);
    expect(await sealedWith(rotated)).toEqual([keyId(keys.second)]);
    await everythingOpens(rotated);

    // The previous key retired: nothing needed it any more.
    await everythingOpens(await start(keys.second));
  });

  it('re-seals with `npm run rotate-keys`, and reports what no configured key opens', async () => {
    await app?.close();
    app = undefined;
    const run = await rotateKeys({
      REGRELAY_SECRET_KEY: b64(keys.third),
      REGRELAY_SECRET_KEY_PREVIOUS: b64(keys.second),
    });
    expect(run).toEqual({
      code: 0,
      stdout: expect.stringContaining(`Current key: ${keyId(keys.third)}`),
    });
    expect(run.stdout).toContain('registries: re-sealed 2');
    expect(run.stdout).toContain('REGRELAY_SECRET_KEY_PREVIOUS can be removed');

    const t = await start(keys.third);
    expect(await sealedWith(t)).toEqual([keyId(keys.third)]);
    await everythingOpens(t);
    await t.close();
    app = undefined;

    // A password sealed with a key this installation does not have (written by a
    // replica that still had an old configuration, say): named, exit 1.
    const stray = new SecretBox(newKey()).seal(password, `registry:${registryId}:password`);
    const t2 = await start(keys.third);
    await t2.app.get(DataSource).query('UPDATE registry SET password_sealed = $1', [stray]);
    await t2.close();
    app = undefined;
    const partly = await rotateKeys({ REGRELAY_SECRET_KEY: b64(keys.third) });
    expect(partly.code).toBe(1);
    expect(partly.stdout).toMatch(
      /registry "hq" password: sealed with key [0-9a-f]{8}, which is not configured/,
    );

    // The wrong key altogether: nothing can be checked, and it says why.
    const wrong = await rotateKeys({ REGRELAY_SECRET_KEY: b64(newKey()) });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(
      /The key that API tokens and webhook secrets are looked up by cannot be opened/,
    );
  });
});
