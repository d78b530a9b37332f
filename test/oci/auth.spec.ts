import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import {
  DeniedError,
  RegistryClient,
  UnauthorizedError,
  copyBlob,
  type RegistryError,
} from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startLyingRegistry, type LyingRegistry } from '../support/lying-registry.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTokenServer, tokenAuthOf, type TokenServer } from '../support/token-server.js';

const alice = { username: 'alice', password: 'Secret-Pa55word-alice' };
const WRONG = 'Wrong-Pa55word-never-shown';

/** Everything an error could leak through: message, stack, properties, inspect. */
function everything(error: unknown): string {
  const e = error as RegistryError;
  return [
    e.message,
    e.stack,
    JSON.stringify(e),
    inspect(e, { depth: 5 }),
    String(e.cause ?? ''),
  ].join('\n');
}

describe('Basic auth (htpasswd)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await startRegistry({ users: [alice] });
    client = new RegistryClient({ name: 'basic', url: registry.url, credentials: alice });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.destroy();
  });

  it('pushes and reads with Basic credentials', async () => {
    await client.ping();
    const image = await new ImageBuilder(client).image('basic/app', {
      tag: 'v1',
      layers: [{ seed: 'b', size: 20_000 }],
    });
    expect((await skopeoRawDigest(registry.host, 'basic/app', 'v1', alice)).digest).toBe(
      image.descriptor.digest,
    );
    expect(await client.listTags('basic/app')).toEqual(['v1']);
  });

  it('fails with UnauthorizedError that never shows the password', async () => {
    const wrong = new RegistryClient({
      name: 'basic-wrong',
      url: registry.url,
      credentials: { username: 'alice', password: WRONG },
    });
    try {
      const error = await wrong.getManifest('basic/app', 'v1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as UnauthorizedError).hint).toMatch(/username and password/);
      const text = everything(error);
      expect(text).not.toContain(WRONG);
      expect(text).not.toContain(Buffer.from(`alice:${WRONG}`).toString('base64'));
      expect(text).toContain('basic-wrong');
    } finally {
      await wrong.close();
    }
  });

  it('fails anonymous access with UnauthorizedError', async () => {
    const anonymous = new RegistryClient({ name: 'anon', url: registry.url });
    try {
      await expect(anonymous.headManifest('basic/app', 'v1')).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
    } finally {
      await anonymous.close();
    }
  });
});

describe('Bearer token auth (distribution auth.token)', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: [alice, { username: 'reader', password: 'Reader-Pa55word' }],
      // reader may only pull; alice may do anything; anonymous may pull `public/*`.
      grant: (user, type, name, actions) => {
        if (user === 'alice') return actions;
        if (user === 'reader') return actions.filter((a) => a === 'pull');
        return type === 'repository' && name.startsWith('public/')
          ? actions.filter((a) => a === 'pull')
          : [];
      },
    });
    registry = await startRegistry({ token: tokenAuthOf(tokens) });
    client = new RegistryClient({ name: 'bearer', url: registry.url, credentials: alice });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.destroy();
    await tokens?.close();
  });

  it('gets scoped tokens (OAuth2 POST) and caches them per scope set', async () => {
    const image = await new ImageBuilder(client).image('team/app', {
      tag: 'v1',
      layers: [{ seed: 't', size: 10_000 }],
    });
    expect((await client.headManifest('team/app', 'v1'))?.digest).toBe(image.descriptor.digest);
    const pushScope = 'repository:team/app:pull,push';
    expect(
      tokens.log.some(
        (l) => l.method === 'POST' && l.user === 'alice' && l.scopes.includes(pushScope),
      ),
    ).toBe(true);
    const fetched = tokens.log.length;
    for (let i = 0; i < 5; i++) await client.headManifest('team/app', 'v1');
    await client.getManifest('team/app', 'v1');
    // The pull token was fetched once and reused from the cache.
    expect(tokens.log.length - fetched).toBeLessThanOrEqual(1);
  });

  it('asks for two scopes to mount across repositories', async () => {
    const image = await new ImageBuilder(client).image('team/base', {
      layers: [{ seed: 'mnt', size: 5_000 }],
    });
    const layer = image.blobs[1]!;
    const result = await copyBlob(client, 'team/base', client, 'team/other', layer, {
      mountFrom: 'team/base',
    });
    expect(result.result).toBe('mounted');
    expect(
      tokens.log.some(
        (l) =>
          l.scopes.includes('repository:team/other:pull,push') &&
          l.scopes.includes('repository:team/base:pull'),
      ),
    ).toBe(true);
  });

  it('falls back from POST to GET when the token server does not do OAuth2', async () => {
    const getOnly = await startTokenServer({ users: [alice], postStatus: 404 });
    const reg = await startRegistry({ token: tokenAuthOf(getOnly) });
    const c = new RegistryClient({ name: 'get-only', url: reg.url, credentials: alice });
    try {
      await new ImageBuilder(c).image('x/y', { tag: 'v1', layers: [{ seed: 'g', size: 100 }] });
      expect(getOnly.log.length).toBeGreaterThan(0);
      expect(getOnly.log.every((l) => l.method === 'GET' && l.user === 'alice')).toBe(true);
    } finally {
      await c.close();
      await reg.destroy();
      await getOnly.close();
    }
  });

  it('uses anonymous tokens where the token server grants them', async () => {
    await new ImageBuilder(client).image('public/app', {
      tag: 'v1',
      layers: [{ seed: 'pub', size: 100 }],
    });
    const anonymous = new RegistryClient({ name: 'anon-bearer', url: registry.url });
    try {
      expect(await anonymous.listTags('public/app')).toEqual(['v1']);
      expect(
        tokens.log.some(
          (l) => l.user === undefined && l.scopes.includes('repository:public/app:pull'),
        ),
      ).toBe(true);
      await expect(anonymous.listTags('team/app')).rejects.toBeInstanceOf(UnauthorizedError);
    } finally {
      await anonymous.close();
    }
  });

  it('re-challenges once when granted less than asked, then reports the refusal', async () => {
    const reader = new RegistryClient({
      name: 'reader',
      url: registry.url,
      credentials: { username: 'reader', password: 'Reader-Pa55word' },
    });
    try {
      expect(await reader.listTags('team/app')).toEqual(['v1']);
      const before = tokens.log.length;
      const error = await reader.startUpload('team/app').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      // One token for the request, one for the single re-challenge: no loop.
      expect(tokens.log.length - before).toBeLessThanOrEqual(2);
      expect(everything(error)).not.toContain('Reader-Pa55word');
    } finally {
      await reader.close();
    }
  });

  it('never leaks the password or a token when the token server refuses', async () => {
    const wrong = new RegistryClient({
      name: 'bearer-wrong',
      url: registry.url,
      credentials: { username: 'alice', password: WRONG },
    });
    try {
      const error = await wrong.listTags('team/app').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(everything(error)).not.toContain(WRONG);
      expect(everything(error)).not.toMatch(/eyJ[\w-]{10,}\./);
    } finally {
      await wrong.close();
    }
  });
});

describe("ACR's token service (the challenge and token shapes of registry.<region>.aliyuncs.com)", () => {
  // As ACR's personal edition answers GET /v2/: `Bearer realm="https://dockerauth.cn-hangzhou
  // .aliyuncs.com/auth",service="registry.aliyuncs.com:cn-hangzhou:26842"`. The token
  // service lives on another host (here another port), its path is /auth, the service
  // holds colons, tokens are issued by dockerauth.aliyuncs.com, and the answer carries
  // `token` alone (no access_token), POST included.
  const acrUser = { username: 'regrelay@example-corp', password: 'Acr-Registry-Pa55word' };
  let tokens: TokenServer;
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: [acrUser],
      path: '/auth',
      service: 'registry.aliyuncs.com:cn-hangzhou:26842',
      issuer: 'dockerauth.aliyuncs.com',
      tokenOnly: true,
    });
    registry = await startRegistry({ token: tokenAuthOf(tokens) });
    client = new RegistryClient({ name: 'acr', url: registry.url, credentials: acrUser });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.destroy();
    await tokens?.close();
  });

  it('pushes and reads namespace/repository with the service and scopes ACR expects', async () => {
    const image = await new ImageBuilder(client).image('namespace/repotest', {
      tag: 'latest',
      layers: [{ seed: 'acr', size: 12_000 }],
    });
    expect((await client.headManifest('namespace/repotest', 'latest'))?.digest).toBe(
      image.descriptor.digest,
    );
    expect(await client.listTags('namespace/repotest')).toEqual(['latest']);
    expect(tokens.log.length).toBeGreaterThan(0);
    expect(
      tokens.log.every(
        (l) =>
          l.service === 'registry.aliyuncs.com:cn-hangzhou:26842' && l.user === acrUser.username,
      ),
    ).toBe(true);
    const scopes = tokens.log.flatMap((l) => l.scopes);
    expect(scopes).toContain('repository:namespace/repotest:pull,push');
    expect(scopes).toContain('repository:namespace/repotest:pull');
  });
});

describe('redirects to storage', () => {
  let lying: LyingRegistry;
  let storage: LyingRegistry;
  const secret = Buffer.from('alice:Storage-Secret-Pa55').toString('base64');
  const blob = Buffer.from('blob bytes behind a redirect');
  const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
  const deniedDigest = 'sha256:' + 'd'.repeat(64);

  beforeAll(async () => {
    lying = await startLyingRegistry({ basicAuth: secret });
    storage = await startLyingRegistry();
    // Relative Location with a query the client must keep.
    lying.route((_req, url) =>
      url.pathname === `/v2/r/blobs/${digest}`
        ? { status: 307, headers: { location: `/hop?sig=abc&x=1` } }
        : undefined,
    );
    lying.route((_req, url) =>
      url.pathname === '/hop' &&
      url.searchParams.get('sig') === 'abc' &&
      url.searchParams.get('x') === '1'
        ? { status: 302, headers: { location: `${storage.url}/bucket/blob?X-Amz-Signature=s` } }
        : undefined,
    );
    storage.route((req, url) =>
      url.pathname === '/bucket/blob' && !req.headers.authorization
        ? { status: 200, body: blob }
        : undefined,
    );
  });
  afterAll(async () => {
    await lying?.close();
    await storage?.close();
  });

  it('follows relative and cross-host redirects without sending Authorization to storage', async () => {
    const client = new RegistryClient({
      name: 'redirecting',
      url: lying.url,
      credentials: { username: 'alice', password: 'Storage-Secret-Pa55' },
    });
    try {
      const stream = await client.getBlob('r', digest);
      const parts: Buffer[] = [];
      for await (const chunk of stream.body) parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).equals(blob)).toBe(true);
      expect(lying.log.find((l) => l.path === '/hop?sig=abc&x=1')?.authorization).toBe(true);
      expect(storage.log).toEqual([
        { method: 'GET', path: '/bucket/blob?X-Amz-Signature=s', authorization: false },
      ]);
    } finally {
      await client.close();
    }
  });

  it('reports storage refusing a redirected request as DeniedError, not an auth challenge', async () => {
    lying.route((_req, url) =>
      url.pathname === `/v2/r/blobs/${deniedDigest}`
        ? { status: 307, headers: { location: `${storage.url}/denied` } }
        : undefined,
    );
    storage.route((_req, url) =>
      url.pathname === '/denied' ? { status: 403, body: 'signature expired' } : undefined,
    );
    const client = new RegistryClient({
      name: 'r2',
      url: lying.url,
      credentials: { username: 'alice', password: 'Storage-Secret-Pa55' },
    });
    try {
      const error = await client.getBlob('r', deniedDigest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeniedError);
      expect((error as DeniedError).message).toMatch(/storage/);
    } finally {
      await client.close();
    }
  });
});
