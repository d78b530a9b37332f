import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/secrets/secret-box.js';
import {
  startLyingRegistry,
  type LyingRegistry,
  type Scripted,
} from '../support/lying-registry.js';
import {
  addPolicy,
  addRegistry,
  finished,
  json,
  tasks,
  trigger,
} from '../support/replication-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { selfSignedCertificate } from '../support/tls-cert.js';

interface FieldErrors {
  errors: { field: string; reason: string }[];
}
interface Ping {
  reachable: boolean;
  error: string | null;
}

const basic = (user: string, password: string) =>
  Buffer.from(`${user}:${password}`).toString('base64');

/**
 * Where a registry's stored password may go. Lying registries stand in for the old
 * and the new host so the test sees every Authorization header that arrives.
 */
describe('registry credentials follow their origin only', () => {
  const key = randomBytes(32).toString('base64');
  let t: TestApp;
  let oldHost: LyingRegistry, newHost: LyingRegistry;

  beforeAll(async () => {
    [oldHost, newHost] = await Promise.all([
      startLyingRegistry({ basicAuth: basic('alice', 'old-Pa55word') }),
      startLyingRegistry({ basicAuth: basic('alice', 'new-Pa55word') }),
    ]);
    t = await startTestApp({ REGRELAY_SECRET_KEY: key });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([oldHost?.close(), newHost?.close()]);
  });

  const create = async (name: string, extra: object = {}) =>
    (
      await json<{ id: string }>(
        await t.api('/api/v1/registries', {
          method: 'POST',
          json: { name, url: oldHost.url, username: 'alice', password: 'old-Pa55word', ...extra },
        }),
        201,
      )
    ).id;
  const patch = (id: string, body: object) =>
    t.api(`/api/v1/registries/${id}`, { method: 'PATCH', json: body });
  const ping = async (id: string) =>
    json<Ping>(await t.api(`/api/v1/registries/${id}/ping`, { method: 'POST' }));

  it('asks for the password again when the url moves to another origin', async () => {
    const id = await create('moving');
    expect((await ping(id)).reachable).toBe(true);

    const refused = await json<FieldErrors>(await patch(id, { url: newHost.url }), 400);
    expect(refused.errors).toEqual([
      { field: 'password', reason: expect.stringMatching(/another origin/) },
    ]);
    // Nothing changed, so nothing was sent to the new host.
    expect((await ping(id)).reachable).toBe(true);
    expect(newHost.connections).toBe(0);

    await json(await patch(id, { url: newHost.url, password: 'new-Pa55word' }));
    expect(await ping(id)).toMatchObject({ reachable: true, error: null });
    expect(newHost.log.some((l) => l.authorization)).toBe(true);
  });

  it('asks for it when TLS checks loosen or a token realm host is added, not for other changes', async () => {
    const id = await create('loosening');
    for (const change of [
      { insecureTls: true },
      { caCert: (await selfSignedCertificate()).cert },
      { tokenRealmHosts: ['auth.example.com'] },
    ]) {
      const body = await json<FieldErrors>(await patch(id, change), 400);
      expect(body.errors[0]?.field).toBe('password');
    }
    await json(await patch(id, { name: 'loosening-renamed', maxConcurrentRequests: 2 }));
    await json(await patch(id, { insecureTls: true, password: 'old-Pa55word' }));
    // Tightening again needs no password.
    await json(await patch(id, { insecureTls: false }));
    // A registry without a password has nothing to protect.
    const anonymous = await create('anonymous', { username: undefined, password: undefined });
    await json(await patch(anonymous, { url: newHost.url }));
  });

  it('keeps a password sealed for one origin from opening for another', async () => {
    const id = await create('bound');
    const before = newHost.connections;
    // As if the row were edited behind the API's back.
    await t.app
      .get(DataSource)
      .query('UPDATE registry SET url = $2, updated_at = now() WHERE id = $1', [id, newHost.url]);
    const result = await ping(id);
    expect(result.reachable).toBe(false);
    expect(result.error).toMatch(/does not open for http:\/\/127\.0\.0\.1:\d+.*set it again/);
    expect(newHost.connections).toBe(before);
  });

  it('re-seals passwords stored before origin binding at start, and they keep working', async () => {
    const id = await create('legacy');
    const box = t.app.get(SecretBox);
    // The sealing of earlier versions: bound to the row only.
    await t.app
      .get(DataSource)
      .query('UPDATE registry SET password_sealed = $2 WHERE id = $1', [
        id,
        box.seal('old-Pa55word', `registry:${id}:password`),
      ]);
    expect((await ping(id)).reachable).toBe(false);

    const restarted = await startTestApp(
      { REGRELAY_SECRET_KEY: key, REGRELAY_ADMIN_TOKEN: t.adminToken },
      { database: t.database },
    );
    try {
      const result = await json<Ping>(
        await restarted.api(`/api/v1/registries/${id}/ping`, { method: 'POST' }),
      );
      expect(result).toMatchObject({ reachable: true, error: null });
    } finally {
      await restarted.close();
    }
  });

  it('stores tokenRealmHosts, lower-cased, and refuses anything but host names', async () => {
    const id = await create('realms', { tokenRealmHosts: ['Auth.Docker.IO', 'auth.docker.io'] });
    const shown = await json<{ tokenRealmHosts: string[] }>(
      await t.api(`/api/v1/registries/${id}`),
    );
    expect(shown.tokenRealmHosts).toEqual(['auth.docker.io']);
    const bad = await json<FieldErrors>(
      await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'bad-realms', url: oldHost.url, tokenRealmHosts: ['https://auth.docker.io'] },
      }),
      400,
    );
    expect(bad.errors[0]?.field).toBe('tokenRealmHosts');
  });
});

describe('registry error bodies kept by regrelay', () => {
  let t: TestApp;
  let proxy: Server;
  let url: string;

  beforeAll(async () => {
    // A proxy in front of a dead registry: an HTML page echoing the request, and a lot of it.
    proxy = createServer((req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(
        `<html><h1>Bad Gateway</h1><pre>Authorization: ${req.headers.authorization ?? ''}</pre>${'z'.repeat(50_000)}</html>`,
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('are the OCI code and message only: no HTML page, no echoed headers, bounded', async () => {
    const id = (
      await json<{ id: string }>(
        await t.api('/api/v1/registries', {
          method: 'POST',
          json: { name: 'behind-proxy', url, username: 'alice', password: 'echoed-Pa55' },
        }),
        201,
      )
    ).id;
    const result = await json<Ping>(
      await t.api(`/api/v1/registries/${id}/ping`, { method: 'POST' }),
    );
    expect(result.reachable).toBe(false);
    expect(result.error).toMatch(/HTTP 502/);
    expect(result.error).not.toMatch(/html|Authorization|zzz/i);
    expect(result.error!.length).toBeLessThan(400);
  });

  it('are kept that way in task reasons too', async () => {
    const source = await startLyingRegistry();
    const destination = await startRegistry();
    try {
      const digest = `sha256:${'c'.repeat(64)}`;
      source.route((req, u): Scripted | undefined => {
        if (u.pathname === '/v2/_catalog') return { status: 200, body: '{"repositories":["app"]}' };
        if (u.pathname === '/v2/app/tags/list')
          return { status: 200, body: '{"name":"app","tags":["v1"]}' };
        if (!u.pathname.startsWith('/v2/app/manifests/')) return undefined;
        if (req.method === 'HEAD') {
          return {
            status: 200,
            headers: {
              'docker-content-digest': digest,
              'content-type': 'application/vnd.oci.image.manifest.v1+json',
              'content-length': '300',
            },
          };
        }
        return {
          status: 400,
          headers: { 'content-type': 'text/html' },
          body: `<html><pre>Authorization: Basic ${basic('a', 'b')}</pre>${'z'.repeat(50_000)}</html>`,
        };
      });
      const sourceId = await addRegistry(t, 'proxied-source', source as unknown as TestRegistry);
      const destinationId = await addRegistry(t, 'proxied-destination', destination);
      const policyId = await addPolicy(t, {
        name: 'proxied-errors',
        sourceRegistryId: sourceId,
        destinations: [{ registryId: destinationId }],
      });
      const done = await finished(t, await trigger(t, policyId));
      const [task] = await tasks(t, done.id, 'failed');
      expect(task?.reason).toMatch(/HTTP 400/);
      expect(task?.reason).not.toMatch(/html|Authorization|zzz/i);
      expect(task!.reason!.length).toBeLessThan(600);
    } finally {
      await source.close();
      await destination.destroy();
    }
  });
});
