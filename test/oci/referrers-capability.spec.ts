import { afterEach, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { startLyingRegistry, type LyingRegistry } from '../support/lying-registry.js';

const SUBJECT = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

/**
 * The client remembers, per endpoint, that a registry has no referrers API, so a
 * plan copying thousands of tags does not ask for it once per tag. Only answers that
 * speak for the whole endpoint count; a 404 for a missing repository does not.
 */
describe('referrers API capability cache', () => {
  let liar: LyingRegistry | undefined;
  let client: RegistryClient | undefined;
  afterEach(async () => {
    await client?.close();
    await liar?.close();
  });

  const apiCalls = () => liar!.log.filter((l) => l.path.includes('/referrers/')).length;
  const tagCalls = () => liar!.log.filter((l) => /\/manifests\/sha256-/.test(l.path)).length;

  it('asks once when the route does not exist (404 without an OCI error code)', async () => {
    liar = await startLyingRegistry();
    liar.route((_r, url) =>
      url.pathname.includes('/referrers/')
        ? { status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found\n' }
        : undefined,
    );
    client = new RegistryClient({ name: 'old', url: liar.url });
    for (const subject of [SUBJECT, OTHER, SUBJECT]) {
      const found = await client.referrers('app/one', subject);
      expect(found).toEqual({ descriptors: [], via: 'tag-schema' });
    }
    expect(apiCalls()).toBe(1);
    expect(tagCalls()).toBe(3);
  });

  it('asks once when many copies start at the same moment', async () => {
    liar = await startLyingRegistry();
    liar.route((_r, url) =>
      url.pathname.includes('/referrers/')
        ? { status: 404, body: '404 page not found\n' }
        : undefined,
    );
    client = new RegistryClient({ name: 'busy', url: liar.url });
    const subjects = Array.from({ length: 8 }, (_, i) => `sha256:${String(i).repeat(64)}`);
    const found = await Promise.all(subjects.map((s) => client!.referrers('app/one', s)));
    expect(found.every((f) => f.via === 'tag-schema')).toBe(true);
    expect(apiCalls()).toBe(1);
    expect(tagCalls()).toBe(8);
  });

  it('asks once when the route answers something that is not an OCI index', async () => {
    liar = await startLyingRegistry();
    liar.route((_r, url) =>
      url.pathname.includes('/referrers/')
        ? { status: 200, headers: { 'content-type': 'text/html' }, body: '<html></html>' }
        : undefined,
    );
    client = new RegistryClient({ name: 'html', url: liar.url });
    await client.referrers('app/one', SUBJECT);
    await client.referrers('app/two', OTHER);
    expect(apiCalls()).toBe(1);
  });

  it('keeps asking after a 404 with a registry error code (a missing repository)', async () => {
    liar = await startLyingRegistry(); // answers NAME_UNKNOWN JSON to everything
    client = new RegistryClient({ name: 'new', url: liar.url });
    await client.referrers('app/one', SUBJECT);
    await client.referrers('app/one', OTHER);
    expect(apiCalls()).toBe(2);
  });

  it('a capability probe always asks, and what it learns is used', async () => {
    liar = await startLyingRegistry();
    liar.route((_r, url) =>
      url.pathname.includes('/referrers/') ? { status: 404, body: 'no such route' } : undefined,
    );
    client = new RegistryClient({ name: 'probe', url: liar.url });
    expect((await client.capabilities('app/one')).referrersApi).toBe(false);
    expect((await client.capabilities('app/one')).referrersApi).toBe(false);
    expect(apiCalls()).toBe(2);
    await client.referrers('app/one', SUBJECT);
    expect(apiCalls()).toBe(2);
  });
});
