import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AttachedMediaType,
  NotFoundError,
  RegistryClient,
  cosignArtifactType,
  cosignTag,
  referrersTag,
  type Descriptor,
} from '../../src/oci/index.js';
import {
  AttachedArtifacts,
  attachedSnapshot,
  type AttachedSnapshot,
} from '../support/attached-artifacts.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startReferrersFront, type ReferrersFront } from '../support/referrers-front.js';
import { ClientSet } from '../support/client-set.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, runToSuccess, tasks } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;
const REPO = 'team/app';
const API_REPO = 'api/app';

/**
 * Signatures, attestations and SBOMs travel with their images, in the shapes cosign,
 * Notation and SBOM tools store them, between CNCF distribution registries (no
 * referrers API) and registries that have the API (distribution-spec 1.1's, served by
 * test/support/referrers-front.ts in front of distribution).
 */
describe('attached artifacts follow their images', () => {
  let t: TestApp;
  let plain: TestRegistry, apiBehind: TestRegistry, destA: TestRegistry, destBBehind: TestRegistry;
  let destC: TestRegistry;
  let apiSource: ReferrersFront, destB: ReferrersFront;
  const clients = new ClientSet();
  let src: RegistryClient, srcApi: RegistryClient, a: RegistryClient, b: RegistryClient;
  let c: RegistryClient;
  const ids: Record<string, string> = {};
  const images: Record<string, PushedManifest> = {};
  let children: Descriptor[] = [];
  let mainPolicy: string;

  const client = (name: string, url: string) => clients.open(name, url);

  beforeAll(async () => {
    t = await startTestApp();
    [plain, apiBehind, destA, destBBehind, destC] = await Promise.all([
      startRegistry(),
      startRegistry(),
      startRegistry(),
      startRegistry(),
      startRegistry(),
    ]);
    [apiSource, destB] = await Promise.all([
      startReferrersFront(apiBehind.url),
      startReferrersFront(destBBehind.url),
    ]);
    src = client('plain', plain.url);
    srcApi = client('api-source', apiSource.url);
    a = client('dest-a', destA.url);
    b = client('dest-b', destB.url);
    c = client('dest-c', destC.url);
    for (const [key, registry] of Object.entries({ plain, apiSource, destA, destB, destC }))
      ids[key] = await addRegistry(
        t,
        key.replace(/[A-Z]/g, (l) => `-${l.toLowerCase()}`),
        registry,
      );

    // The plain source: what cosign, Notation and an SBOM tool leave without the API.
    const build = new ImageBuilder(src);
    const attach = new AttachedArtifacts(src);
    const layers = (seed: string) => [{ seed, size: 16 * KiB }];
    for (const tag of ['v1', 'v2', 'dev'])
      images[tag] = await build.image(REPO, { tag, layers: layers(`app-${tag}`) });
    const v1 = images.v1!.descriptor;
    await attach.cosignSign(REPO, v1);
    await attach.cosignAttest(REPO, v1);
    await attach.cosignAttachSbom(REPO, v1);
    await attach.notationSign(REPO, v1);
    await attach.sbomReferrer(REPO, v1);
    await attach.cosignSign(REPO, images.v2!.descriptor);
    await attach.cosignSign(REPO, images.dev!.descriptor);
    // A two-platform index signed with `cosign sign --recursive`, an SBOM per platform.
    const amd = await build.image(REPO, { layers: layers('v3-amd64') });
    const arm = await build.image(REPO, {
      layers: layers('v3-arm64'),
      platform: { architecture: 'arm64', os: 'linux' },
    });
    images.v3 = await build.index(REPO, {
      tag: 'v3',
      manifests: [
        { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
        { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    children = [amd.descriptor, arm.descriptor];
    await attach.cosignSign(REPO, images.v3.descriptor);
    for (const child of children) {
      await attach.cosignSign(REPO, child);
      await attach.sbomReferrer(REPO, child);
    }

    // The source with the API: referrers listed by it alone, no `sha256-<hex>` tag.
    const apiBuild = new ImageBuilder(srcApi);
    const apiAttach = new AttachedArtifacts(srcApi);
    images.w1 = await apiBuild.image(API_REPO, { tag: 'w1', layers: layers('w1') });
    await apiAttach.notationSign(API_REPO, images.w1.descriptor);
    await apiAttach.sbomReferrer(API_REPO, images.w1.descriptor);
  });

  afterAll(async () => {
    await t?.close();
    await clients.close();
    await apiSource?.close();
    await destB?.close();
    await Promise.all([plain, apiBehind, destA, destBBehind, destC].map((r) => r?.destroy()));
  });

  const snapshot = (at: RegistryClient, repository: string, digest: string) =>
    attachedSnapshot(at, repository, digest);
  const withoutVia = ({ cosign, referrers }: AttachedSnapshot) => ({ cosign, referrers });

  it('a policy with tags v* copies v1 with its .sig, .att and .sbom tags and its referrers, to a destination with and one without the referrers API', async () => {
    mainPolicy = await addPolicy(t, {
      name: 'releases',
      sourceRegistryId: ids.plain,
      destinations: [{ registryId: ids.destA }, { registryId: ids.destB }],
      filters: { repositories: [REPO], tags: ['v*'] },
      deletion: true,
    });
    const done = await runToSuccess(t, mainPolicy);

    const v1 = images.v1!.descriptor.digest;
    const atSource = await snapshot(src, REPO, v1);
    expect(Object.keys(atSource.cosign).sort()).toEqual(['att', 'sbom', 'sig']);
    expect(atSource.referrers).toHaveLength(2);
    const [atA, atB] = await Promise.all([snapshot(a, REPO, v1), snapshot(b, REPO, v1)]);
    expect(withoutVia(atA)).toEqual(withoutVia(atSource));
    expect(withoutVia(atB)).toEqual(withoutVia(atSource));
    // Without the API the destination gets the `sha256-<hex>` index; with it, plain referrers.
    expect(atA.via).toBe('tag-schema');
    expect(atB.via).toBe('api');
    expect(await b.listTags(REPO)).not.toContain(referrersTag(v1));
    // The referrer manifests themselves, byte for byte (same digests).
    for (const line of atSource.referrers) {
      const digest = line.split(' ')[1]!;
      expect((await a.getManifest(REPO, digest)).descriptor.digest).toBe(digest);
    }

    // Tag filters decide which images; what is attached to them follows regardless.
    await expect(a.headManifest(REPO, 'dev')).resolves.toBeUndefined();
    await expect(
      a.headManifest(REPO, cosignTag(images.dev!.descriptor.digest, 'sig')),
    ).resolves.toBeUndefined();

    // Counted: v1 5, v2 1, v3 and its two platforms 5 — per destination.
    expect(done.referrersCopied).toBe(22);
    expect(
      await metricValue(t, 'regrelay_referrers_copied_total', {
        policy: 'releases',
        destination: 'dest-a',
        kind: 'signature',
      }),
    ).toBe(6); // v1's .sig and Notation signature, v2's, v3's and its two platforms'
  });

  it('copies the signatures and SBOMs of each platform of an index (cosign --recursive)', async () => {
    for (const at of [a, b]) {
      expect((await snapshot(at, REPO, images.v3!.descriptor.digest)).cosign.sig).toBeDefined();
      for (const child of children) {
        const [there, here] = await Promise.all([
          snapshot(at, REPO, child.digest),
          snapshot(src, REPO, child.digest),
        ]);
        expect(withoutVia(there)).toEqual(withoutVia(here));
        expect(there.referrers).toHaveLength(1);
      }
    }
  });

  it('finds nothing to do on the next run: the attached artifacts compare equal', async () => {
    const again = await runToSuccess(t, mainPolicy);
    expect(again.counts.succeeded).toBe(0);
    expect(again.referrersCopied).toBe(0);
    expect((await tasks(t, again.id)).filter((task) => task.tag === null)).toEqual([]);
  });

  it('writes a correct sha256-<hex> index at a destination without the API from a source that lists referrers through it', async () => {
    const policy = await addPolicy(t, {
      name: 'from-api',
      sourceRegistryId: ids.apiSource,
      destinations: [{ registryId: ids.destA }],
      filters: { repositories: [API_REPO], tags: ['w*'] },
    });
    await runToSuccess(t, policy);
    const w1 = images.w1!.descriptor.digest;
    const listed = await srcApi.referrers(API_REPO, w1);
    expect(listed.via).toBe('api');
    expect(await srcApi.listTags(API_REPO)).not.toContain(referrersTag(w1));
    const index = await a.getManifest(API_REPO, referrersTag(w1));
    const entries = (JSON.parse(index.bytes.toString('utf8')) as { manifests: Descriptor[] })
      .manifests;
    const byDigest = (list: Descriptor[]) =>
      Object.fromEntries(
        list.map((d) => [d.digest, [d.mediaType, d.size, d.artifactType, d.annotations]]),
      );
    expect(byDigest(entries)).toEqual(byDigest(listed.descriptors));
    expect(entries.map((e) => e.artifactType).sort()).toEqual(
      [AttachedMediaType.SpdxJson, AttachedMediaType.NotarySignature].sort(),
    );
  });

  it('copies no attached artifact with referrers: none, and only the listed types with a list', async () => {
    const none = await addPolicy(t, {
      name: 'no-referrers',
      sourceRegistryId: ids.plain,
      destinations: [{ registryId: ids.destC, namespace: 'none' }],
      filters: { repositories: [REPO], tags: ['v1'] },
      referrers: 'none',
    });
    const some = await addPolicy(t, {
      name: 'some-referrers',
      sourceRegistryId: ids.plain,
      destinations: [{ registryId: ids.destC, namespace: 'some' }],
      filters: { repositories: [REPO], tags: ['v1'] },
      referrers: [AttachedMediaType.NotarySignature, cosignArtifactType('sig')],
    });
    expect((await runToSuccess(t, none)).referrersCopied).toBe(0);
    expect((await runToSuccess(t, some)).referrersCopied).toBe(2);
    const v1 = images.v1!.descriptor.digest;
    expect(await c.headManifest(`none/${REPO}`, 'v1')).toBeDefined();
    expect(withoutVia(await snapshot(c, `none/${REPO}`, v1))).toEqual({
      cosign: {},
      referrers: [],
    });
    const atSource = await snapshot(src, REPO, v1);
    const someThere = await snapshot(c, `some/${REPO}`, v1);
    expect(someThere.cosign).toEqual({ sig: atSource.cosign.sig });
    expect(someThere.referrers).toEqual(
      atSource.referrers.filter((r) => r.startsWith(AttachedMediaType.NotarySignature)),
    );
    expect(await c.listTags(`none/${REPO}`)).toEqual(['v1']);
  });

  it('refuses a referrers option that is not one, naming the field', async () => {
    const res = await t.api('/api/v1/policies', {
      method: 'POST',
      json: {
        name: 'bad-referrers',
        sourceRegistryId: ids.plain,
        destinations: [{ registryId: ids.destC }],
        referrers: ['not a media type'],
      },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; reason: string }[] };
    expect(body.errors).toEqual([
      {
        field: 'referrers',
        reason: expect.stringContaining('"not a media type" is not an artifact type'),
      },
    ]);
  });

  it('deleting the image at the source removes what regrelay attached to it at the destinations, and nothing else', async () => {
    const v1 = images.v1!.descriptor.digest;
    const before = await snapshot(a, REPO, v1);
    const referrerDigests = before.referrers.map((r) => r.split(' ')[1]!);
    await src.deleteManifest(REPO, v1);
    const done = await runToSuccess(t, mainPolicy);
    const deletes = (await tasks(t, done.id)).filter((task) => task.operation === 'delete');
    expect(deletes.map((d) => [d.destinationRegistryId, d.tag, d.status])).toEqual(
      expect.arrayContaining([
        [ids.destA, 'v1', 'succeeded'],
        [ids.destB, 'v1', 'succeeded'],
      ]),
    );
    expect(deletes).toHaveLength(2);
    for (const at of [a, b]) {
      await expect(at.headManifest(REPO, 'v1')).resolves.toBeUndefined();
      for (const suffix of ['sig', 'att', 'sbom'] as const)
        await expect(at.headManifest(REPO, cosignTag(v1, suffix))).resolves.toBeUndefined();
      for (const digest of referrerDigests)
        await expect(at.getManifest(REPO, digest)).rejects.toBeInstanceOf(NotFoundError);
      // Nothing else: v2, v3 and what is attached to them stay.
      const tags = await at.listTags(REPO);
      expect(tags).toEqual(expect.arrayContaining(['v2', 'v3']));
      expect(tags).toContain(cosignTag(images.v2!.descriptor.digest, 'sig'));
      expect(tags).not.toContain(referrersTag(v1));
      for (const child of children)
        expect((await snapshot(at, REPO, child.digest)).referrers).toHaveLength(1);
    }
  });
});
