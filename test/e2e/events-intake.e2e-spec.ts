import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { NotificationSink } from '../support/notification-sink.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, finished, json, tasks } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import {
  DISTRIBUTION_EVENTS_TYPE,
  distributionEvent,
  executionsOf,
  harborCloudEvent,
  harborPayload,
  inboxRows,
  postWebhook,
} from '../support/webhooks.js';
import { metricValue } from '../support/metrics.js';

const KiB = 1024;
const QUIET_SECRET = 'quiet-registry-webhook-secret-0001';
const HARBOR_SECRET = 'harbor-style-auth-header-value-0002';

const envelope = (...events: Record<string, unknown>[]) => JSON.stringify({ events });
const receipt = (
  counts: Partial<Record<'accepted' | 'duplicates' | 'ignored' | 'rejected', number>> & {
    problems?: { field: string; reason: string }[];
  },
) => ({ accepted: 0, duplicates: 0, ignored: 0, rejected: 0, problems: [], ...counts });

/**
 * Webhook deliveries posted by the test itself (the source registry sends none), so
 * each case controls exactly what arrives: redeliveries, bad payloads, bad secrets,
 * Harbor's format. A real registry is still the source and the destination.
 */
describe('webhook intake', () => {
  let t: TestApp;
  let source: TestRegistry, destination: TestRegistry;
  let sink: NotificationSink;
  let sourceClient: RegistryClient;
  let build: ImageBuilder;
  let quietId: string, harborId: string;
  let quietPolicy: string, harborPolicy: string;
  const images: Record<string, PushedManifest> = {};

  beforeAll(async () => {
    sink = await NotificationSink.start();
    [source, destination] = await Promise.all([
      startRegistry(),
      // The destination reports what it is asked to store: the test counts the copies.
      startRegistry({ notifications: { url: sink.url } }),
    ]);
    t = await startTestApp({ REGRELAY_EVENT_COALESCE_MS: '200', REGRELAY_POLL_INTERVAL_MS: '100' });
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    build = new ImageBuilder(sourceClient);
    for (const ref of [
      'library/dedupe:1.0',
      'library/never:1.0',
      'library/sentinel:1.0',
      'library/mixed:1.0',
      'project/app:h1',
      'project/app:h2',
    ]) {
      const [repository, tag] = ref.split(':') as [string, string];
      images[ref] = await build.image(repository, {
        tag,
        layers: [{ seed: ref, size: 16 * KiB }],
      });
    }
    // One registry, registered twice: as a distribution sender and as a Harbor sender.
    quietId = await addRegistry(t, 'quiet', source, { webhookSecret: QUIET_SECRET });
    harborId = await addRegistry(t, 'harbor', source, { webhookSecret: HARBOR_SECRET });
    const destinationId = await addRegistry(t, 'destination', destination);
    quietPolicy = await addPolicy(t, {
      name: 'quiet-events',
      sourceRegistryId: quietId,
      destinations: [{ registryId: destinationId }],
      trigger: { type: 'event' },
      filters: { repositories: ['library/**'], tags: ['*'] },
    });
    harborPolicy = await addPolicy(t, {
      name: 'harbor-events',
      sourceRegistryId: harborId,
      destinations: [{ registryId: destinationId, namespace: 'from-harbor' }],
      trigger: { type: 'event' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await sourceClient?.close();
    await Promise.all([source?.destroy(), destination?.destroy()]);
    await sink?.close();
  });

  function pushEvent(ref: string, id?: string) {
    const [repository, tag] = ref.split(':') as [string, string];
    const image = images[ref]!;
    return distributionEvent(
      'push',
      { repository, tag, digest: image.descriptor.digest, mediaType: image.descriptor.mediaType },
      id,
    );
  }

  describe('webhook secrets', () => {
    it('shows a generated secret once, at creation, and only says one is set afterwards', async () => {
      const res = await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'lifecycle', url: source.url },
      });
      const created = await json<{ id: string; webhookSecret: string; hasWebhookSecret: boolean }>(
        res,
        201,
      );
      expect(created.webhookSecret).toMatch(/^rrwh_[A-Za-z0-9_-]{43}$/);
      expect(created.hasWebhookSecret).toBe(true);

      const got = await json<Record<string, unknown>>(
        await t.api(`/api/v1/registries/${created.id}`),
      );
      expect(got.hasWebhookSecret).toBe(true);
      expect(got).not.toHaveProperty('webhookSecret');
      const listed = await (await t.api('/api/v1/registries')).text();
      expect(listed).not.toContain(created.webhookSecret);
      const [row] = (await t.app
        .get(DataSource)
        .query('SELECT webhook_secret_sealed, webhook_secret_hash FROM registry WHERE id = $1', [
          created.id,
        ])) as { webhook_secret_sealed: string; webhook_secret_hash: string }[];
      expect(row!.webhook_secret_sealed).toMatch(/^v1:[0-9a-f]{8}:/);
      expect(JSON.stringify(row)).not.toContain(created.webhookSecret);

      const ok = await postWebhook(t, 'distribution', {
        authorization: `Bearer ${created.webhookSecret}`,
        body: envelope(),
      });
      expect(ok.status).toBe(202);
      expect(await ok.json()).toEqual(receipt({}));
    });

    it('rotates: the new secret is shown once and the old one stops working', async () => {
      const first = await json<{ id: string; webhookSecret: string }>(
        await t.api('/api/v1/registries', {
          method: 'POST',
          json: { name: 'rotating', url: source.url },
        }),
        201,
      );
      const rotated = await json<{ registryId: string; webhookSecret: string }>(
        await t.api(`/api/v1/registries/${first.id}/webhook-secret`, { method: 'POST' }),
      );
      expect(rotated.registryId).toBe(first.id);
      expect(rotated.webhookSecret).not.toBe(first.webhookSecret);
      const post = (secret: string) =>
        postWebhook(t, 'distribution', { authorization: `Bearer ${secret}`, body: envelope() });
      expect((await post(first.webhookSecret)).status).toBe(401);
      expect((await post(rotated.webhookSecret)).status).toBe(202);

      const chosen = 'chosen-by-the-operator-123';
      const set = await json<{ webhookSecret: string }>(
        await t.api(`/api/v1/registries/${first.id}/webhook-secret`, {
          method: 'POST',
          json: { webhookSecret: chosen },
        }),
      );
      expect(set.webhookSecret).toBe(chosen);
      expect((await post(rotated.webhookSecret)).status).toBe(401);
      expect((await post(chosen)).status).toBe(202);
    });

    it('refuses short, spaced, shared or patched secrets', async () => {
      const [rotating] = (
        await json<{ id: string; name: string }[]>(await t.api('/api/v1/registries'))
      ).filter((r) => r.name === 'rotating');
      const rotate = (webhookSecret: string) =>
        t.api(`/api/v1/registries/${rotating!.id}/webhook-secret`, {
          method: 'POST',
          json: { webhookSecret },
        });
      for (const bad of ['too-short', 'has spaces in the middle of it']) {
        const res = await rotate(bad);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ errors: [{ field: 'webhookSecret' }] });
      }
      expect((await rotate(QUIET_SECRET)).status).toBe(409);
      const shared = await t.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'copycat', url: source.url, webhookSecret: QUIET_SECRET },
      });
      expect(shared.status).toBe(409);
      expect(await shared.text()).not.toContain('quiet');
      const patched = await t.api(`/api/v1/registries/${rotating!.id}`, {
        method: 'PATCH',
        json: { webhookSecret: 'patched-secret-value-0003' },
      });
      expect(patched.status).toBe(400);
    });
  });

  describe('distribution envelopes', () => {
    it('copies once for the same event delivered three times', async () => {
      const event = pushEvent('library/dedupe:1.0', 'dedupe-event-0001');
      const receipts = [];
      for (let i = 0; i < 3; i++) {
        const res = await postWebhook(t, 'distribution', {
          authorization: `Bearer ${QUIET_SECRET}`,
          body: envelope(event),
        });
        expect(res.status).toBe(202);
        receipts.push(await res.json());
      }
      expect(receipts).toEqual([
        receipt({ accepted: 1 }),
        receipt({ duplicates: 1 }),
        receipt({ duplicates: 1 }),
      ]);

      const [execution] = await waitFor('an execution of quiet-events', async () => {
        const found = await executionsOf(t, quietPolicy);
        return found.length ? found : undefined;
      });
      const done = await finished(t, execution!.id);
      expect(done).toMatchObject({ trigger: 'event', status: 'succeeded' });
      const copied = await tasks(t, done.id);
      expect(copied.map((c) => [c.sourceRepository, c.tag, c.status])).toEqual([
        ['library/dedupe', '1.0', 'succeeded'],
      ]);
      expect((await skopeoRawDigest(destination.host, 'library/dedupe', '1.0')).digest).toBe(
        images['library/dedupe:1.0']!.descriptor.digest,
      );
      // The destination registry itself reports one manifest push of the tag.
      await waitFor('the destination to report the push', async () =>
        sink.tagPushes().includes('library/dedupe:1.0') ? true : undefined,
      );
      expect(sink.tagPushes().filter((p) => p === 'library/dedupe:1.0')).toHaveLength(1);

      const rows = (await inboxRows(t, quietId)).filter((r) => r.event_id === 'dedupe-event-0001');
      expect(rows).toEqual([
        expect.objectContaining({
          tag: '1.0',
          execution_ids: [done.id],
          processed_at: expect.any(Date),
        }),
      ]);
      expect(await executionsOf(t, quietPolicy)).toHaveLength(1);
      const labels = { registry: 'quiet', action: 'push' };
      expect(
        await metricValue(t, 'regrelay_events_received_total', { ...labels, result: 'accepted' }),
      ).toBe(1);
      expect(
        await metricValue(t, 'regrelay_events_received_total', { ...labels, result: 'duplicate' }),
      ).toBe(2);
    });

    it('answers 400 and 401 only to bodies that are not JSON and to unauthenticated requests', async () => {
      const before = (await inboxRows(t, quietId)).length;
      const good = pushEvent('library/never:1.0');
      const bearer = `Bearer ${QUIET_SECRET}`;
      const cases: { name: string; status: number; field?: string; res: Promise<Response> }[] = [
        {
          name: 'malformed JSON',
          status: 400,
          field: 'body',
          res: postWebhook(t, 'distribution', { authorization: bearer, body: '{"events": [' }),
        },
        {
          name: 'no Authorization',
          status: 401,
          res: postWebhook(t, 'distribution', { body: envelope(good) }),
        },
        {
          name: 'wrong secret',
          status: 401,
          res: postWebhook(t, 'distribution', {
            authorization: 'Bearer not-the-secret-of-any-registry',
            body: envelope(good),
          }),
        },
        {
          name: 'an API token instead of the webhook secret',
          status: 401,
          res: postWebhook(t, 'distribution', {
            authorization: `Bearer ${t.adminToken}`,
            body: envelope(good),
          }),
        },
        {
          name: 'the secret in the query of a route that takes it from headers only',
          status: 401,
          res: fetch(`${t.url}${DISTRIBUTION_WEBHOOK_PATH}?secret=${QUIET_SECRET}`, {
            method: 'POST',
            headers: { 'content-type': DISTRIBUTION_EVENTS_TYPE },
            body: envelope(good),
          }),
        },
      ];
      for (const c of cases) {
        const res = await c.res;
        const body = (await res.json()) as { errors?: { field: string }[] };
        expect({ case: c.name, status: res.status }).toEqual({ case: c.name, status: c.status });
        if (c.field) expect(body.errors?.[0]?.field).toBe(c.field);
      }
      expect(
        (await postWebhook(t, 'distribution', { body: envelope(good) })).headers.get(
          'www-authenticate',
        ),
      ).toMatch(/^Bearer /);

      // Pulls and blob uploads are accepted (so the registry does not retry) and ignored.
      const ignored = await postWebhook(t, 'distribution', {
        authorization: bearer,
        body: envelope(
          { ...good, action: 'pull' },
          distributionEvent('push', {
            repository: 'library/never',
            digest: images['library/never:1.0']!.blobs[0]!.digest,
            mediaType: 'application/octet-stream',
          }),
        ),
      });
      expect(ignored.status).toBe(202);
      expect(await ignored.json()).toEqual(receipt({ ignored: 2 }));

      // A good delivery after the bad ones: once it has run, anything stored before it
      // would have run too. Only the sentinel may show up.
      expect(
        (
          await postWebhook(t, 'distribution', {
            authorization: bearer,
            body: envelope(pushEvent('library/sentinel:1.0')),
          })
        ).status,
      ).toBe(202);
      const sentinel = await waitFor('the sentinel to be processed', async () => {
        const row = (await inboxRows(t, quietId)).find((r) => r.repository === 'library/sentinel');
        return row?.processed_at ? row : undefined;
      });
      await finished(t, sentinel.execution_ids![0]!);

      const rows = await inboxRows(t, quietId);
      expect(rows.length).toBe(before + 1);
      expect(rows.some((r) => r.repository === 'library/never')).toBe(false);
      for (const execution of await executionsOf(t, quietPolicy)) {
        expect((await tasks(t, execution.id)).map((x) => x.sourceRepository)).not.toContain(
          'library/never',
        );
      }
      const never = new RegistryClient({ name: 'destination', url: destination.url });
      try {
        expect(await never.headManifest('library/never', '1.0')).toBeUndefined();
      } finally {
        await never.close();
      }
      const labels = { registry: 'quiet', source: 'distribution' };
      expect(
        await metricValue(t, 'regrelay_events_received_total', {
          ...labels,
          action: 'unknown',
          result: 'rejected',
        }),
      ).toBe(1); // the malformed JSON
      expect(
        await metricValue(t, 'regrelay_events_received_total', {
          ...labels,
          action: 'pull',
          result: 'ignored',
        }),
      ).toBe(1);
    });

    it('stores each unusable event of an envelope as rejected, answers 202 and acts on the rest', async () => {
      const good = pushEvent('library/mixed:1.0', 'mixed-good');
      const target = good.target as Record<string, unknown>;
      const body = envelope(
        good,
        { ...good, id: 'mixed-bad-digest', target: { ...target, digest: 'sha256:abc' } },
        { ...good, id: 'mixed-rename', action: 'rename' },
        { ...good, id: 'mixed-bad-name', target: { ...target, repository: 'Library/Mixed' } },
        // distribution 3.x's repository delete: kept (quiet-events does not propagate deletes).
        distributionEvent('delete', { repository: 'library/gone' }, 'mixed-repo-delete'),
        { ...good, id: 'mixed-pull', action: 'pull' },
      );
      // Whatever the content type says: the body is JSON.
      const res = await postWebhook(t, 'distribution', {
        authorization: `Bearer ${QUIET_SECRET}`,
        body,
        contentType: 'text/plain',
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual(
        receipt({
          accepted: 2,
          ignored: 1,
          rejected: 3,
          problems: [
            {
              field: 'events[1].target.digest',
              reason: 'is not a valid sha256 or sha512 digest: "sha256:abc"',
            },
            {
              field: 'events[2].action',
              reason: 'unknown action "rename"; distribution sends push, pull, mount, delete',
            },
            {
              field: 'events[3].target.repository',
              reason: 'is not a valid repository name: "Library/Mixed"',
            },
          ],
        }),
      );
      // A redelivery changes nothing.
      const again = await postWebhook(t, 'distribution', {
        authorization: `Bearer ${QUIET_SECRET}`,
        body,
      });
      expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 5, rejected: 0 });

      // The good push is acted on.
      const row = await waitFor('the good push to be processed', async () => {
        const found = (await inboxRows(t, quietId)).find((r) => r.event_id === 'mixed-good');
        return found?.processed_at && found.execution_ids?.length ? found : undefined;
      });
      const done = await finished(t, row.execution_ids![0]!);
      expect(done.status).toBe('succeeded');
      expect((await skopeoRawDigest(destination.host, 'library/mixed', '1.0')).digest).toBe(
        images['library/mixed:1.0']!.descriptor.digest,
      );

      // The rejected ones are listed with their reasons, to a viewer.
      const viewer = await json<{ token: string }>(
        await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'watch', role: 'viewer' } }),
        201,
      );
      const page = await json<{ total: number; items: Record<string, unknown>[] }>(
        await t.api(`/api/v1/events?registryId=${quietId}&status=rejected&limit=10`, {
          token: viewer.token,
        }),
      );
      expect(page.total).toBe(3);
      expect(page.items.map((i) => [i.eventId, i.action, i.repository, i.reason])).toEqual([
        [
          'mixed-bad-name',
          'push',
          'Library/Mixed',
          'events[3].target.repository: is not a valid repository name: "Library/Mixed"',
        ],
        [
          'mixed-rename',
          'unknown',
          'library/mixed',
          'events[2].action: unknown action "rename"; distribution sends push, pull, mount, delete',
        ],
        [
          'mixed-bad-digest',
          'push',
          'library/mixed',
          'events[1].target.digest: is not a valid sha256 or sha512 digest: "sha256:abc"',
        ],
      ]);
      expect(page.items[0]).toMatchObject({
        status: 'rejected',
        source: 'distribution',
        registryId: quietId,
        executionIds: [],
        processedAt: expect.any(String),
      });
      const accepted = await json<{ items: { eventId: string; tag: string | null }[] }>(
        await t.api(`/api/v1/events?registryId=${quietId}&status=accepted&limit=2`),
      );
      expect(accepted.items.map((i) => [i.eventId, i.tag])).toEqual([
        ['mixed-repo-delete', null],
        ['mixed-good', '1.0'],
      ]);
      const bad = await t.api('/api/v1/events?status=lost&limit=1000');
      expect(bad.status).toBe(400);
      expect(
        ((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field),
      ).toEqual(['status', 'limit']);

      const rejected = (action: string) =>
        metricValue(t, 'regrelay_events_received_total', {
          registry: 'quiet',
          source: 'distribution',
          action,
          result: 'rejected',
        });
      expect(await rejected('push')).toBe(2);
      expect(await rejected('unknown')).toBe(2); // the rename, and the malformed JSON before
    });

    it('answers 413 to a body over 1 MiB', async () => {
      const res = await postWebhook(t, 'distribution', {
        authorization: `Bearer ${QUIET_SECRET}`,
        body: Buffer.alloc(1024 * 1024 + 1, 0x20),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ statusCode: 413 });
    });
  });

  describe('Harbor payloads', () => {
    it('turns PUSH_ARTIFACT into an execution of the policy whose source sent it', async () => {
      const image = images['project/app:h1']!;
      const payload = JSON.stringify(
        harborPayload('PUSH_ARTIFACT', 'project/app', {
          digest: image.descriptor.digest,
          tag: 'h1',
        }),
      );
      // Harbor sends its configured "auth header" verbatim, without "Bearer".
      const post = () => postWebhook(t, 'harbor', { authorization: HARBOR_SECRET, body: payload });
      const first = await post();
      expect(first.status).toBe(202);
      expect(await first.json()).toEqual(receipt({ accepted: 1 }));
      expect(await (await post()).json()).toEqual(receipt({ duplicates: 1 }));

      const [execution] = await waitFor('an execution of harbor-events', async () => {
        const found = await executionsOf(t, harborPolicy);
        return found.length ? found : undefined;
      });
      const done = await finished(t, execution!.id);
      expect(done).toMatchObject({ trigger: 'event', status: 'succeeded' });
      expect((await tasks(t, done.id)).map((x) => [x.destinationRepository, x.tag])).toEqual([
        ['from-harbor/project/app', 'h1'],
      ]);
      expect(
        (await skopeoRawDigest(destination.host, 'from-harbor/project/app', 'h1')).digest,
      ).toBe(image.descriptor.digest);
      expect(await executionsOf(t, harborPolicy)).toHaveLength(1);
    });

    it('ignores other Harbor events and rejects unknown types', async () => {
      const digest = images['project/app:h1']!.descriptor.digest;
      const pull = await postWebhook(t, 'harbor', {
        authorization: HARBOR_SECRET,
        body: JSON.stringify(harborPayload('PULL_ARTIFACT', 'project/app', { digest, tag: 'h1' })),
      });
      expect(pull.status).toBe(202);
      expect(await pull.json()).toEqual(receipt({ ignored: 1 }));
      const unknown = await postWebhook(t, 'harbor', {
        authorization: HARBOR_SECRET,
        body: JSON.stringify(harborPayload('PUSH_IMAGE', 'project/app', { digest, tag: 'h1' })),
      });
      // Stored as rejected and answered 202: Harbor would otherwise retry it.
      expect(unknown.status).toBe(202);
      expect(await unknown.json()).toMatchObject({
        rejected: 1,
        problems: [{ field: 'type', reason: expect.stringMatching(/PUSH_IMAGE/) }],
      });
      const rows = await inboxRows(t, harborId);
      expect(rows.map((r) => [r.status, r.tag])).toEqual([
        ['accepted', 'h1'],
        ['rejected', null],
      ]);
    });

    it('stores an artifact deletion as a delete by digest', async () => {
      const digest = images['project/app:h1']!.descriptor.digest;
      const res = await postWebhook(t, 'harbor', {
        authorization: `Bearer ${HARBOR_SECRET}`,
        body: JSON.stringify(
          harborPayload('DELETE_ARTIFACT', 'project/app', { digest, tag: 'h1' }),
        ),
      });
      expect(await res.json()).toEqual(receipt({ accepted: 1 }));
      const row = await waitFor('the deletion to be processed', async () => {
        const found = (await inboxRows(t, harborId)).find((r) => r.action === 'delete');
        return found?.processed_at ? found : undefined;
      });
      // harbor-events does not propagate deletes: nothing to trigger.
      expect(row).toMatchObject({
        repository: 'project/app',
        tag: null,
        digest,
        execution_ids: [],
      });
    });

    it('turns CloudEvents pushes and deletes into executions like Default ones, deduped by id', async () => {
      const image = images['project/app:h2']!;
      const digest = image.descriptor.digest;
      const post = (event: Record<string, unknown>) =>
        postWebhook(t, 'harbor', {
          authorization: HARBOR_SECRET,
          body: JSON.stringify(event),
          contentType: 'application/cloudevents+json',
        });
      const pushed = harborCloudEvent('harbor.artifact.pushed', 'project/app', {
        digest,
        tag: 'h2',
      });
      const first = await post(pushed);
      expect(first.status).toBe(202);
      expect(await first.json()).toEqual(receipt({ accepted: 1 }));
      // Harbor retries with the same CloudEvents id.
      expect(await (await post(pushed)).json()).toEqual(receipt({ duplicates: 1 }));

      const pushRow = await waitFor('the CloudEvents push to trigger', async () => {
        const row = (await inboxRows(t, harborId)).find((r) => r.event_id === pushed.id);
        return row?.execution_ids?.length ? row : undefined;
      });
      expect(pushRow).toMatchObject({ status: 'accepted', action: 'push', tag: 'h2', digest });
      const copied = await finished(t, pushRow.execution_ids![0]!);
      expect(copied).toMatchObject({ trigger: 'event', status: 'succeeded' });
      expect((await tasks(t, copied.id)).map((x) => [x.destinationRepository, x.tag])).toEqual([
        ['from-harbor/project/app', 'h2'],
      ]);
      expect(
        (await skopeoRawDigest(destination.host, 'from-harbor/project/app', 'h2')).digest,
      ).toBe(digest);

      // The artifact is deleted in Harbor; a policy that propagates deletes follows.
      await json(
        await t.api(`/api/v1/policies/${harborPolicy}`, {
          method: 'PATCH',
          json: { deletion: true },
        }),
      );
      await sourceClient.deleteManifest('project/app', digest);
      const deleted = harborCloudEvent('harbor.artifact.deleted', 'project/app', {
        digest,
        tag: 'h2',
      });
      expect(await (await post(deleted)).json()).toEqual(receipt({ accepted: 1 }));
      const deleteRow = await waitFor('the CloudEvents delete to trigger', async () => {
        const row = (await inboxRows(t, harborId)).find((r) => r.event_id === deleted.id);
        return row?.execution_ids?.length ? row : undefined;
      });
      expect(deleteRow).toMatchObject({ action: 'delete', tag: null, digest });
      const removed = await finished(t, deleteRow.execution_ids![0]!);
      expect(removed.status).toBe('succeeded');
      const check = new RegistryClient({ name: 'destination', url: destination.url });
      try {
        expect(await check.headManifest('from-harbor/project/app', 'h2')).toBeUndefined();
        expect((await check.headManifest('from-harbor/project/app', 'h1'))?.digest).toBe(
          images['project/app:h1']!.descriptor.digest,
        );
      } finally {
        await check.close();
      }
    });
  });
});
