import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient, cosignTag } from '../../src/oci/index.js';
import type { DriftDto } from '../../src/replication/dto/drift.dto.js';
import { AttachedArtifacts, attachedSnapshot } from '../support/attached-artifacts.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { startReferrersFront, type ReferrersFront } from '../support/referrers-front.js';
import { ClientSet } from '../support/client-set.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, json, runToSuccess, tasks } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const KiB = 1024;
const REPO = 'team/app';
const SECRET = 'source-webhook-secret-for-the-referrers-test';

/**
 * A signature, attestation or SBOM pushed after its image was replicated reaches the
 * destinations holding the image: by the source's notification (a cosign tag pushed,
 * a referrer pushed by digest), and where no event comes, by the next run, which
 * compares what is attached to images already in place.
 */
describe('attached artifacts added later', () => {
  let t: TestApp;
  let notifyingBehind: TestRegistry, silentBehind: TestRegistry, destA: TestRegistry;
  let destBBehind: TestRegistry;
  let notifying: ReferrersFront, silent: ReferrersFront, destB: ReferrersFront;
  const clients = new ClientSet();
  let src: RegistryClient, quiet: RegistryClient, a: RegistryClient, b: RegistryClient;
  let sourceId: string, silentId: string, aId: string, bId: string;
  let v1: PushedManifest;

  const client = (name: string, url: string) => clients.open(name, url);

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_EVENT_COALESCE_MS: '200', REGRELAY_POLL_INTERVAL_MS: '100' });
    [notifyingBehind, silentBehind, destA, destBBehind] = await Promise.all([
      startRegistry({
        notifications: {
          url: t.url + DISTRIBUTION_WEBHOOK_PATH,
          headers: { Authorization: [`Bearer ${SECRET}`] },
        },
      }),
      startRegistry(),
      startRegistry(),
      startRegistry(),
    ]);
    // The notifying source has the referrers API: a referrer pushed there is announced
    // by its own push by digest alone (no `sha256-<hex>` tag follows).
    [notifying, silent, destB] = await Promise.all([
      startReferrersFront(notifyingBehind.url),
      startReferrersFront(silentBehind.url),
      startReferrersFront(destBBehind.url),
    ]);
    src = client('notifying', notifying.url);
    quiet = client('silent', silent.url);
    a = client('dest-a', destA.url);
    b = client('dest-b', destB.url);
    sourceId = await addRegistry(t, 'notifying', notifying, { webhookSecret: SECRET });
    silentId = await addRegistry(t, 'silent', silent);
    aId = await addRegistry(t, 'dest-a', destA);
    bId = await addRegistry(t, 'dest-b', destB);
  });

  afterAll(async () => {
    await t?.close();
    await clients.close();
    for (const front of [notifying, silent, destB]) await front?.close();
    await Promise.all([notifyingBehind, silentBehind, destA, destBBehind].map((r) => r?.destroy()));
  });

  const sigAt = async (at: RegistryClient, digest: string) =>
    (await at.headManifest(REPO, cosignTag(digest, 'sig')))?.digest;

  it('by event: a second cosign signature and a Notation signature pushed later reach both destinations', async () => {
    await addPolicy(t, {
      name: 'on-push',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: aId }, { registryId: bId }],
      filters: { repositories: [REPO], tags: ['v*'] },
      trigger: { type: 'event' },
    });
    const attach = new AttachedArtifacts(src);
    v1 = await new ImageBuilder(src).image(REPO, {
      tag: 'v1',
      layers: [{ seed: 'later-v1', size: 16 * KiB }],
    });
    const first = await attach.cosignSign(REPO, v1.descriptor);
    await waitFor('v1 and its first signature at both destinations', async () =>
      (await sigAt(a, v1.descriptor.digest)) === first.digest &&
      (await sigAt(b, v1.descriptor.digest)) === first.digest
        ? true
        : undefined,
    );

    // cosign appends the signature to the `.sig` tag: a new digest under the same tag.
    const second = await attach.cosignSign(REPO, v1.descriptor);
    expect(second.digest).not.toBe(first.digest);
    await waitFor('the second signature at both destinations', async () =>
      (await sigAt(a, v1.descriptor.digest)) === second.digest &&
      (await sigAt(b, v1.descriptor.digest)) === second.digest
        ? true
        : undefined,
    );

    // A referrer pushed by digest, which the source lists through its referrers API.
    const notation = await attach.notationSign(REPO, v1.descriptor);
    const listed = async (at: RegistryClient) =>
      (await at.referrers(REPO, v1.descriptor.digest)).descriptors.some(
        (d) => d.digest === notation.digest,
      );
    await waitFor('the Notation signature listed at both destinations', async () =>
      (await listed(a)) && (await listed(b)) ? true : undefined,
    );
    const there = await attachedSnapshot(a, REPO, v1.descriptor.digest);
    const here = await attachedSnapshot(src, REPO, v1.descriptor.digest);
    expect({ ...there, via: undefined }).toEqual({ ...here, via: undefined });
  });

  it('without events: the next run finds what was attached since, and a reconcile reports it first', async () => {
    const policy = await addPolicy(t, {
      name: 'nightly',
      sourceRegistryId: silentId,
      destinations: [{ registryId: aId, namespace: 'nightly' }],
      filters: { repositories: [REPO], tags: ['v*'] },
    });
    const attach = new AttachedArtifacts(quiet);
    const image = await new ImageBuilder(quiet).image(REPO, {
      tag: 'v7',
      layers: [{ seed: 'later-v7', size: 16 * KiB }],
    });
    await runToSuccess(t, policy);
    const target = `nightly/${REPO}`;
    expect((await attachedSnapshot(a, target, image.descriptor.digest)).referrers).toEqual([]);

    const sbom = await attach.sbomReferrer(REPO, image.descriptor);
    const sig = await attach.cosignSign(REPO, image.descriptor);
    const drift = await json<DriftDto>(
      await t.api(`/api/v1/policies/${policy}/drift`, { method: 'POST' }),
    );
    expect(drift.destinations.map((d) => [d.attached, d.missing, d.inSync])).toEqual([
      [1, 0, false],
    ]);
    expect(drift.destinations[0]!.samples.attached).toEqual([`${REPO}:v7`]);

    const done = await runToSuccess(t, policy);
    expect(done.referrersCopied).toBe(2);
    const [task] = (await tasks(t, done.id)).filter((x) => x.status === 'succeeded');
    expect(task).toMatchObject({ tag: null, digest: image.descriptor.digest, referrersCopied: 2 });
    const there = await attachedSnapshot(a, target, image.descriptor.digest);
    expect(there.cosign.sig).toBe(sig.digest);
    expect(there.referrers).toEqual([`${sbom.artifactType} ${sbom.digest}`]);
    expect((await runToSuccess(t, policy)).counts.succeeded).toBe(0);
  });
});
