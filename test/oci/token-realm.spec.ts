import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, UntrustedRealmError } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startLyingRegistry, type LyingRegistry } from '../support/lying-registry.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { selfSignedCertificate } from '../support/tls-cert.js';
import { startTokenServer, tokenAuthOf, type TokenServer } from '../support/token-server.js';

const alice = { username: 'alice', password: 'Realm-Pa55word-alice' };

/**
 * The realm comes from the registry's WWW-Authenticate: whoever answers for the
 * registry chooses where the credentials go. A real distribution registry on
 * 127.0.0.1 names a token server on 127.0.0.2, which counts as another host.
 */
describe('a token realm on another host', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: [alice],
      address: '127.0.0.2',
      grant: (user, type, name, actions) =>
        user || name.startsWith('public/') ? actions.filter((a) => user || a === 'pull') : [],
    });
    registry = await startRegistry({ token: tokenAuthOf(tokens) });
  });
  afterAll(async () => {
    await registry?.destroy();
    await tokens?.close();
  });

  it('gets no credentials unless the registry lists that host, and the error says what to do', async () => {
    const client = new RegistryClient({ name: 'elsewhere', url: registry.url, credentials: alice });
    try {
      const error = await client.listTags('team/app').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UntrustedRealmError);
      const refused = error as UntrustedRealmError;
      expect(refused.realm).toBe(tokens.realm);
      expect(refused.message).toContain('127.0.0.2');
      expect(refused.hint).toMatch(/add "127\.0\.0\.2" to the registry's tokenRealmHosts/);
      expect(refused.retryable).toBe(false);
      expect(tokens.connections).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('sends credentials to a listed realm host', async () => {
    const client = new RegistryClient({
      name: 'listed',
      url: registry.url,
      credentials: alice,
      tokenRealmHosts: ['127.0.0.2'],
    });
    try {
      await new ImageBuilder(client).image('public/app', {
        tag: 'v1',
        layers: [{ seed: 'realm', size: 1000 }],
      });
      expect(await client.listTags('public/app')).toEqual(['v1']);
      expect(tokens.log.some((l) => l.user === 'alice')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('lets anonymous token requests go to another host: nothing secret is sent', async () => {
    const anonymous = new RegistryClient({ name: 'anonymous', url: registry.url });
    try {
      expect(await anonymous.listTags('public/app')).toEqual(['v1']);
      expect(tokens.log.some((l) => l.user === undefined)).toBe(true);
    } finally {
      await anonymous.close();
    }
  });
});

describe('a token realm that downgrades https to http', () => {
  let registry: LyingRegistry;
  let tokens: TokenServer;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: [alice] });
    registry = await startLyingRegistry({ tls: await selfSignedCertificate() });
    // Same host, so only the scheme is wrong.
    registry.route(() => ({
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="${tokens.realm}",service="s"` },
      body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
    }));
  });
  afterAll(async () => {
    await registry?.close();
    await tokens?.close();
  });

  it('is refused before anything is sent, with or without credentials', async () => {
    for (const credentials of [alice, undefined]) {
      const client = new RegistryClient({
        name: 'tls-registry',
        url: registry.url,
        credentials,
        tls: { insecureSkipVerify: true },
        tokenRealmHosts: ['127.0.0.1'],
      });
      try {
        const error = await client.listTags('team/app').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UntrustedRealmError);
        expect((error as Error).message).toMatch(/downgrade this https registry to http/);
      } finally {
        await client.close();
      }
    }
    expect(tokens.connections).toBe(0);
  });
});
