import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, cosignTag } from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy, type SeenRequest } from '../support/fault-proxy.js';
import { AttachedArtifacts } from '../support/attached-artifacts.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, runToSuccess } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const REPOSITORIES = ['many/a', 'many/b'];
const TAGS_PER_REPOSITORY = 4;
const TAGS = REPOSITORIES.length * TAGS_PER_REPOSITORY;

/**
 * What many small images cost in registry requests, counted at proxies in front of
 * both registries: the per-tag work that decides throughput when artifacts are small.
 */
describe('registry requests per tag (many small images)', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let src: FaultProxy, dst: FaultProxy;
  let policyId: string;
  let sourceId: string, destinationId: string;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    [src, dst] = await Promise.all([startFaultProxy(source.url), startFaultProxy(destination.url)]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    const client = new RegistryClient({ name: 'seed', url: source.url });
    const build = new ImageBuilder(client);
    for (const repository of REPOSITORIES) {
      for (let i = 0; i < TAGS_PER_REPOSITORY; i++) {
        await build.image(repository, {
          tag: `v${i}`,
          layers: [{ seed: `${repository}-${i}`, size: 2048 }],
        });
      }
    }
    await client.close();
    sourceId = await addRegistry(t, 'source', { ...source, url: src.url });
    destinationId = await addRegistry(t, 'destination', { ...destination, url: dst.url });
    policyId = await addPolicy(t, {
      name: 'many-small',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['many/**'] },
    });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await Promise.all([source?.destroy(), destination?.destroy()]);
  });

  const count = (seen: SeenRequest[], method: string, path: RegExp) =>
    seen.filter((r) => r.method === method && path.test(r.url)).length;
  const TAG_MANIFEST = /\/manifests\/v\d+$/;

  it('copies new repositories with one destination manifest HEAD per tag and one referrers API probe', async () => {
    src.clear();
    dst.clear();
    const done = await runToSuccess(t, policyId);
    expect(done.counts).toMatchObject({ total: TAGS, succeeded: TAGS });
    // Planning lists each new destination repository instead of asking tag by tag;
    // the task still checks the tag right before copying.
    expect(count(dst.seen, 'HEAD', TAG_MANIFEST)).toBe(TAGS);
    expect(count(dst.seen, 'GET', /\/tags\/list/)).toBe(REPOSITORIES.length);
    // The repositories listed no tags: their blobs (a layer and a config per image)
    // are uploaded without a HEAD each.
    expect(count(dst.seen, 'HEAD', /\/blobs\//)).toBe(0);
    expect(count(dst.seen, 'POST', /\/blobs\/uploads\/$/)).toBe(2 * TAGS);
    // distribution 2.8.2 has no referrers API: asked once. The copies list each source
    // repository once (as planning did), so no image's cosign tags or `sha256-<hex>`
    // index is asked for when the listing shows there is none.
    expect(count(src.seen, 'GET', /\/referrers\//)).toBe(1);
    expect(count(src.seen, 'GET', /\/tags\/list/)).toBe(2 * REPOSITORIES.length);
    expect(count(src.seen, 'GET', /\/manifests\/sha256-/)).toBe(0);
    expect(count(src.seen, 'HEAD', /\/manifests\/sha256-/)).toBe(0);
  });

  it('resyncs with one HEAD per tag on each side and no task work', async () => {
    src.clear();
    dst.clear();
    const done = await runToSuccess(t, policyId);
    expect(done.counts).toMatchObject({ total: TAGS, skipped: TAGS, inPlace: TAGS });
    expect(done.message).toMatch(/Nothing to do/);
    expect(count(src.seen, 'HEAD', TAG_MANIFEST)).toBe(TAGS);
    expect(count(dst.seen, 'HEAD', TAG_MANIFEST)).toBe(TAGS);
    // Each destination HEAD is conditional on the source's digest: the registry
    // confirms the tag in step (304) without reading its manifest.
    expect(
      dst.seen.filter((r) => r.method === 'HEAD' && TAG_MANIFEST.test(r.url)).map((r) => r.status),
    ).toEqual(Array(TAGS).fill(304));
    expect(dst.seen.filter((r) => r.method !== 'HEAD' && r.method !== 'GET')).toEqual([]);
    // Nothing is attached to these images: comparing that costs no request either.
    for (const seen of [src.seen, dst.seen]) {
      expect(count(seen, 'GET', /\/referrers\//)).toBe(0);
      expect(seen.filter((r) => /\/manifests\/sha256-/.test(r.url))).toEqual([]);
    }
  });

  it('compares signed images already in place with one HEAD per signature tag on each side', async () => {
    // cosign signs two of the images (their `.sig` tags appear in the listing).
    const client = new RegistryClient({ name: 'seed', url: source.url });
    const signer = new AttachedArtifacts(client);
    const signed: string[] = [];
    for (const tag of ['v0', 'v1']) {
      const head = await client.headManifest(REPOSITORIES[0]!, tag);
      signed.push(cosignTag(head!.digest, 'sig'));
      await signer.cosignSign(REPOSITORIES[0]!, head!);
    }
    await client.close();
    await runToSuccess(t, policyId); // copies the two signatures
    src.clear();
    dst.clear();
    const done = await runToSuccess(t, policyId);
    expect(done.counts).toMatchObject({ total: TAGS, skipped: TAGS });
    const SIG = /\/manifests\/sha256-[a-f0-9]{64}\.sig$/;
    expect(count(src.seen, 'HEAD', SIG)).toBe(signed.length);
    expect(count(dst.seen, 'HEAD', SIG)).toBe(signed.length);
    expect(count(src.seen, 'HEAD', TAG_MANIFEST)).toBe(TAGS);
    expect(count(dst.seen, 'HEAD', TAG_MANIFEST)).toBe(TAGS);
    // Nothing else: no referrers index is listed, none is asked for.
    for (const seen of [src.seen, dst.seen])
      expect(seen.filter((r) => /\/manifests\/sha256-/.test(r.url) && !SIG.test(r.url))).toEqual(
        [],
      );
  });

  it('asks about a blob of a new repository once this process has written it, and every blob of a repository that had tags', async () => {
    const client = new RegistryClient({ name: 'seed', url: source.url });
    const build = new ImageBuilder(client);
    const base = { seed: 'shared-base', size: 4096 };
    for (const tag of ['a', 'b'])
      await build.image('shared/app', {
        tag,
        layers: [base, { seed: `shared-${tag}`, size: 2048 }],
      });
    const shared = await addPolicy(t, {
      name: 'shared-layers',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      filters: { repositories: ['shared/**'] },
    });
    src.clear();
    dst.clear();
    await runToSuccess(t, shared);
    // Two images: the base layer, two top layers, two configs. The second image's copy
    // of the base layer finds it written by the first: a HEAD, and no upload.
    expect(count(dst.seen, 'POST', /\/blobs\/uploads\/$/)).toBe(5);
    expect(count(dst.seen, 'HEAD', /\/blobs\//)).toBe(1);

    // A tag pushed later into the repository, which now lists tags: every blob is asked.
    await build.image('shared/app', { tag: 'c', layers: [base, { seed: 'shared-c', size: 2048 }] });
    await client.close();
    src.clear();
    dst.clear();
    await runToSuccess(t, shared);
    expect(count(dst.seen, 'HEAD', /\/blobs\//)).toBe(3);
    expect(count(dst.seen, 'POST', /\/blobs\/uploads\/$/)).toBe(2); // not the base layer
  });
});
