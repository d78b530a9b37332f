import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const HEADS = 30;

/**
 * HEADs are most of a no-op resync (one per tag at each side) and of the existence
 * checks before every blob: they must keep their connection, as GETs do. undici's
 * default closes it after each HEAD, which a proxy in front of a real registry sees
 * as one TCP connection per request.
 */
describe('connections kept across requests', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  let tag: string;
  let blob: string;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    const seed = new RegistryClient({ name: 'seed', url: registry.url });
    const image = await new ImageBuilder(seed).image('keep/alive', {
      tag: 'v1',
      layers: [{ seed: 'keep-alive', size: 1024 }],
    });
    await seed.close();
    tag = 'v1';
    blob = image.blobs[1]!.digest;
    client = new RegistryClient({ name: 'proxied', url: proxy.url });
  });

  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await registry?.destroy();
  });

  it('sends one HEAD after another (manifests, blobs, found or not) over one connection', async () => {
    await client.headManifest('keep/alive', tag); // learns the auth scheme first (GET /v2/)
    proxy.clear();
    for (let i = 0; i < HEADS; i++) {
      expect((await client.headManifest('keep/alive', tag))?.mediaType).toBeDefined();
      expect((await client.headBlob('keep/alive', blob))?.size).toBe(1024);
      expect(await client.headManifest('keep/alive', `missing-${i}`)).toBeUndefined();
    }
    expect(proxy.seen.filter((r) => r.method === 'HEAD')).toHaveLength(3 * HEADS);
    expect(proxy.connections).toBeLessThanOrEqual(1);
  });
});
