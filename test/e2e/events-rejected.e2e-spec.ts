import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import { startEnvelopeRelay, type EnvelopeRelay } from '../support/envelope-relay.js';
import { ImageBuilder } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, json } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import { inboxRows } from '../support/webhooks.js';

const KiB = 1024;
const SECRET = 'relayed-source-webhook-secret-0001';

/**
 * A real distribution 2.8.2 registry notifies regrelay through a relay that slips
 * events regrelay cannot use into the envelope of the first tag push. distribution
 * delivers one envelope at a time and redelivers it until it gets a 2xx, holding
 * every later one behind it: had regrelay refused the envelope, the second push
 * would never be heard of.
 */
describe('an unusable event does not hold up the notifications behind it', () => {
  let t: TestApp;
  let relay: EnvelopeRelay;
  let source: TestRegistry, destination: TestRegistry;
  let sourceClient: RegistryClient;
  let sourceId: string;
  let tampered: string | undefined;

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_EVENT_COALESCE_MS: '200', REGRELAY_POLL_INTERVAL_MS: '200' });
    relay = await startEnvelopeRelay(t.url + DISTRIBUTION_WEBHOOK_PATH, (envelope) => {
      const push = envelope.events.find(
        (e) => e.action === 'push' && (e.target as { tag?: string }).tag === '1.0',
      );
      if (!push) return envelope;
      tampered ??= String(push.id);
      const target = push.target as Record<string, unknown>;
      return {
        events: [
          ...envelope.events,
          { ...push, id: 'injected-bad-digest', target: { ...target, digest: 'sha256:abc' } },
          { ...push, id: 'injected-rename', action: 'rename' },
        ],
      };
    });
    [source, destination] = await Promise.all([
      startRegistry({
        notifications: { url: relay.url, headers: { Authorization: [`Bearer ${SECRET}`] } },
      }),
      startRegistry(),
    ]);
    sourceId = await addRegistry(t, 'relayed', source, { webhookSecret: SECRET });
    const destinationId = await addRegistry(t, 'target', destination);
    await addPolicy(t, {
      name: 'on-push',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId }],
      trigger: { type: 'event' },
    });
    sourceClient = new RegistryClient({ name: 'relayed', url: source.url });
  });

  afterAll(async () => {
    await t?.close();
    await sourceClient?.close();
    await Promise.all([source?.destroy(), destination?.destroy()]);
    await relay?.close();
  });

  it('acts on the good events, stores the bad ones as rejected, and hears the next push', async () => {
    const build = new ImageBuilder(sourceClient);
    const first = await build.image('team/app', {
      tag: '1.0',
      layers: [{ seed: 'r1', size: 8 * KiB }],
    });
    await waitFor('the tampered envelope to be relayed', async () => tampered);
    const second = await build.image('team/app', {
      tag: '2.0',
      layers: [{ seed: 'r2', size: 8 * KiB }],
    });

    await waitFor(
      'both tags at the destination',
      async () => {
        const [a, b] = await Promise.all([
          skopeoRawDigest(destination.host, 'team/app', '1.0'),
          skopeoRawDigest(destination.host, 'team/app', '2.0'),
        ]);
        return a.digest === first.descriptor.digest && b.digest === second.descriptor.digest
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    // Delivered once and answered 202: distribution had no reason to redeliver it.
    const withTampered = relay.deliveries.filter((d) => d.ids.includes(tampered!));
    expect(withTampered).toEqual([
      expect.objectContaining({
        ids: [tampered, 'injected-bad-digest', 'injected-rename'],
        status: 202,
      }),
    ]);
    expect(relay.deliveries.every((d) => d.status === 202)).toBe(true);

    const rows = await inboxRows(t, sourceId);
    expect(rows.filter((r) => r.status === 'rejected').map((r) => [r.event_id, r.reason])).toEqual([
      [
        'injected-bad-digest',
        'events[1].target.digest: is not a valid sha256 or sha512 digest: "sha256:abc"',
      ],
      [
        'injected-rename',
        'events[2].action: unknown action "rename"; distribution sends push, pull, mount, delete',
      ],
    ]);
    expect(
      rows.filter((r) => r.status === 'accepted' && r.action === 'push').map((r) => r.tag),
    ).toEqual(['1.0', '2.0']);

    const listed = await json<{ total: number }>(
      await t.api(`/api/v1/events?registryId=${sourceId}&status=rejected`),
    );
    expect(listed.total).toBe(2);
    for (const action of ['push', 'unknown']) {
      expect(
        await metricValue(t, 'regrelay_events_received_total', {
          registry: 'relayed',
          source: 'distribution',
          action,
          result: 'rejected',
        }),
      ).toBe(1);
    }
  });
});
