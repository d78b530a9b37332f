import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { Authenticator } from '../../src/oci/bearer-auth.js';
import { Redactor } from '../../src/oci/redactor.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';

/**
 * The bearer token cache of one registry: a token per scope set (so per repository
 * copied), against a real token server. It must not grow with the catalogue.
 */
describe('bearer token cache', () => {
  const alice = { username: 'alice', password: 'Secret-Pa55word-cache' };
  let server: TokenServer;
  let dispatcher: Agent;

  beforeAll(async () => {
    server = await startTokenServer({ users: [alice], expiresInSeconds: 300 });
    dispatcher = new Agent();
  });
  afterAll(async () => {
    await dispatcher?.close();
    await server?.close();
  });

  it('drops expired tokens and stays bounded however many repositories ask', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const auth = new Authenticator({
      registry: 'hq',
      // The realm is on the registry's host (another port): credentials may go there.
      baseUrl: new URL(`http://${new URL(server.realm).hostname}:1`),
      credentials: alice,
      dispatcher,
      redactor: new Redactor(),
      now: () => now,
    });
    auth.learn(401, `Bearer realm="${server.realm}",service="${server.service}"`);
    for (let i = 0; i < 300; i++) await auth.header([`repository:team/app-${i}:pull`]);
    expect(server.log.length).toBe(300);
    expect(auth.cachedTokens).toBeLessThanOrEqual(256);
    // A cached token is used while it is fresh...
    await auth.header(['repository:team/app-299:pull']);
    expect(server.log.length).toBe(300);

    // ...and once every token has expired, the next one finds them gone.
    now += 3_600_000;
    await auth.header(['repository:team/fresh:pull']);
    expect(auth.cachedTokens).toBe(1);
  });
});
