import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  addPolicy,
  addRegistry,
  json,
  runToSuccess,
  tasks,
  trigger,
} from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { metricValue } from '../support/metrics.js';
import { readExecutionEvents } from '../support/sse.js';

const KiB = 1024;

/** Reads a metric's value from /metrics text (0 when absent). */
describe('fan-out replication: one source, two destinations', () => {
  let t: TestApp;
  let source: TestRegistry, east: TestRegistry, west: TestRegistry;
  let sourceClient: RegistryClient;
  let policyId: string;
  const pushed: Record<string, PushedManifest> = {};
  let signature: PushedManifest, sbom: PushedManifest;
  let blobBytes = 0;

  beforeAll(async () => {
    [source, east, west] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    const base = { seed: 'base-layer', size: 64 * KiB };
    pushed['library/app:1.0'] = await build.image('library/app', {
      tag: '1.0',
      layers: [base, { seed: 'app-1.0', size: 48 * KiB }],
    });
    pushed['library/app:2.0'] = await build.image('library/app', {
      tag: '2.0',
      flavour: 'docker',
      layers: [base, { seed: 'app-2.0', size: 32 * KiB }],
    });
    const amd = await build.image('library/multi', {
      layers: [base, { seed: 'multi-amd64', size: 40 * KiB }],
    });
    const arm = await build.image('library/multi', {
      layers: [{ seed: 'multi-arm64', size: 40 * KiB }],
      platform: { architecture: 'arm64', os: 'linux' },
    });
    pushed['library/multi:latest'] = await build.index('library/multi', {
      tag: 'latest',
      manifests: [
        { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
        { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    pushed['tools/signed:v1'] = await build.image('tools/signed', {
      tag: 'v1',
      layers: [{ seed: 'signed', size: 16 * KiB }],
    });
    signature = await build.referrer(
      'tools/signed',
      pushed['tools/signed:v1'].descriptor,
      'signature',
    );
    sbom = await build.referrer('tools/signed', pushed['tools/signed:v1'].descriptor, 'sbom');
    // Each distinct blob crosses the wire once per destination registry: a blob shared
    // by two repositories is mounted into the second one.
    const blobs = new Map<string, number>();
    for (const image of [...Object.values(pushed), amd, arm, signature, sbom]) {
      for (const blob of image.blobs) blobs.set(blob.digest, blob.size);
    }
    blobBytes = [...blobs.values()].reduce((a, b) => a + b, 0);

    const src = await addRegistry(t, 'source', source);
    const eastId = await addRegistry(t, 'east', east);
    const westId = await addRegistry(t, 'west', west);
    policyId = await addPolicy(t, {
      name: 'fan-out',
      sourceRegistryId: src,
      destinations: [{ registryId: eastId }, { registryId: westId, namespace: 'mirror' }],
      filters: { repositories: ['**'], tags: ['*'] },
    });
  });

  afterAll(async () => {
    await t?.close();
    await sourceClient?.close();
    await Promise.all([source, east, west].map((r) => r?.destroy()));
  });

  it('copies images, an index and an artifact with referrers to both destinations, byte for byte', async () => {
    const done = await runToSuccess(t, policyId);
    // Four tags, each to two destinations. The signed image's `sha256-<hex>` referrers
    // tag (distribution 2.8 has no referrers API) is no tag of its own: it travels with
    // its subject, like the two referrers it lists.
    expect(done.counts).toMatchObject({ total: 8, succeeded: 8, failed: 0 });
    expect(done.referrersCopied).toBe(4);

    for (const [ref, image] of Object.entries(pushed)) {
      const [repo, tag] = ref.split(':') as [string, string];
      // Checked independently of our client, by skopeo.
      expect((await skopeoRawDigest(east.host, repo, tag)).digest).toBe(image.descriptor.digest);
      expect((await skopeoRawDigest(west.host, `mirror/${repo}`, tag)).digest).toBe(
        image.descriptor.digest,
      );
    }
    for (const dest of [east, west]) {
      const client = new RegistryClient({ name: 'check', url: dest.url });
      const repo = dest === east ? 'tools/signed' : 'mirror/tools/signed';
      const referrers = await client.referrers(repo, pushed['tools/signed:v1']!.descriptor.digest);
      expect(referrers.descriptors.map((d) => d.digest).sort()).toEqual(
        [signature.descriptor.digest, sbom.descriptor.digest].sort(),
      );
      for (const r of [signature, sbom])
        expect((await client.headManifest(repo, r.descriptor.digest))?.digest).toBe(
          r.descriptor.digest,
        );
      await client.close();
    }
  });

  it('counts what it did in /metrics', async () => {
    for (const destination of ['east', 'west']) {
      const copies = (result: string) =>
        metricValue(t, 'regrelay_tasks_total', {
          policy: 'fan-out',
          destination,
          operation: 'copy',
          result,
        });
      expect(await copies('succeeded')).toBe(4);
      expect(await copies('skipped')).toBe(0);
      expect(
        await metricValue(t, 'regrelay_bytes_transferred_total', {
          policy: 'fan-out',
          destination,
        }),
      ).toBe(blobBytes);
    }
    expect(
      await metricValue(t, 'regrelay_executions_total', {
        policy: 'fan-out',
        trigger: 'manual',
        status: 'succeeded',
      }),
    ).toBe(1);
    expect(
      await metricValue(t, 'regrelay_blobs_total', { destination: 'east', result: 'copied' }),
    ).toBeGreaterThan(0);
    // The base layer shared by library/app and library/multi is mounted, not sent twice.
    expect(
      await metricValue(t, 'regrelay_blobs_total', { destination: 'east', result: 'mounted' }),
    ).toBeGreaterThan(0);
    // Copies of one artifact to both destinations run side by side and share their
    // reads: the source sends each blob about once, not once per destination.
    const fromSource = await metricValue(t, 'regrelay_source_bytes_read_total', {
      registry: 'source',
    });
    expect(fromSource).toBeGreaterThanOrEqual(blobBytes);
    expect(fromSource).toBeLessThanOrEqual(1.2 * blobBytes);
    expect(
      await metricValue(t, 'regrelay_registry_requests_total', {
        registry: 'source',
        method: 'GET',
        status: '200',
      }),
    ).toBeGreaterThan(0);
  });

  it('moves nothing the second time and reports every tag skipped, in place, without a task row', async () => {
    const bytesBefore = await metricValue(t, 'regrelay_bytes_transferred_total', {
      policy: 'fan-out',
      destination: 'east',
    });
    const done = await runToSuccess(t, policyId);
    expect(done.counts).toMatchObject({ total: 8, skipped: 8, inPlace: 8, succeeded: 0 });
    expect(done.bytesDone).toBe(0);
    expect(done.message).toMatch(/Nothing to do/);
    expect(
      await metricValue(t, 'regrelay_bytes_transferred_total', {
        policy: 'fan-out',
        destination: 'east',
      }),
    ).toBe(bytesBefore);
    // Counted on the execution, not written: a no-op resync writes no task rows.
    expect(await tasks(t, done.id)).toEqual([]);
  });

  it('streams task events over SSE while an execution runs', async () => {
    const tag = 'sse';
    await new ImageBuilder(sourceClient).image('library/app', {
      tag,
      layers: [{ seed: 'sse-layer', size: 256 * KiB }],
    });
    const id = await trigger(t, policyId);
    const events = await readExecutionEvents(t, id);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('snapshot');
    expect(types.at(-1)).toBe('execution.finished');
    const copied = events.filter(
      (e) => e.type === 'task.finished' && e.data.status === 'succeeded',
    );
    expect(copied).toHaveLength(2); // the new tag, to each destination
    expect(types).toContain('task.started');
    expect(events.at(-1)!.data).toMatchObject({ status: 'succeeded' });
  });

  it('answers 404 for the events of an unknown execution', async () => {
    const res = await t.api('/api/v1/executions/00000000-0000-4000-8000-000000000000/events');
    expect(res.status).toBe(404);
    await json(await t.api('/api/v1/executions?policyId=' + policyId));
  });

  it('keeps a ledger row for every tag it wrote, and for what it attached', async () => {
    const count = async () => {
      const found: { tags: string; attached: string }[] = await t.app
        .get((await import('typeorm')).DataSource)
        .query(
          `SELECT count(*) FILTER (WHERE subject_digest IS NULL) AS tags,
                  count(*) FILTER (WHERE subject_digest IS NOT NULL) AS attached FROM ledger`,
        );
      return found[0];
    };
    const rows = await waitFor('ledger rows', async () => {
      const found = await count();
      return found?.tags === '10' ? found : undefined;
    });
    // 5 tags (with the SSE test's) × 2 destinations; the signature, the SBOM and the
    // `sha256-<hex>` index listing them, at each destination, under their subject.
    expect(rows).toEqual({ tags: '10', attached: '6' });
  });

  it('labels new samples with a renamed policy, and takes its executions and ledger when it is deleted', async () => {
    const renamed = await t.api(`/api/v1/policies/${policyId}`, {
      method: 'PATCH',
      json: { name: 'hq-renamed' },
    });
    expect(renamed.status).toBe(200);
    await runToSuccess(t, policyId);
    expect(
      await metricValue(t, 'regrelay_executions_total', {
        policy: 'hq-renamed',
        status: 'succeeded',
      }),
    ).toBe(1);
    const before = await json<{ total: number }>(
      await t.api(`/api/v1/executions?policyId=${policyId}`),
    );
    expect(before.total).toBeGreaterThan(0);
    expect((await t.api(`/api/v1/policies/${policyId}`, { method: 'DELETE' })).status).toBe(204);
    const db = t.app.get((await import('typeorm')).DataSource);
    await waitFor('the policy’s executions and ledger to go', async () => {
      const [counts] = (await db.query(
        `SELECT (SELECT count(*) FROM execution WHERE owner_id = $1)::int AS executions,
                (SELECT count(*) FROM ledger WHERE owner_id = $1)::int AS ledger`,
        [policyId],
      )) as { executions: number; ledger: number }[];
      return counts!.executions === 0 && counts!.ledger === 0 ? true : undefined;
    });
  });
});
