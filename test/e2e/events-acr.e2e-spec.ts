import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACR_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import { addPolicy, addRegistry, finished, json, tasks } from '../support/replication-api.js';
import { skopeoRawDigest } from '../support/skopeo.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';
import { acrPayloadText, acrTime } from '../support/webhooks.js';

const KiB = 1024;
const SECRET = 'rrwh_acr-trigger-url-secret-0001';

interface EventRow {
  eventId: string;
  status: string;
  repository: string;
  tag: string;
  occurredAt: string;
  executionIds: string[] | null;
}

/**
 * ACR's trigger notifications, in the shape and layout of ACR's documentation, posted
 * to regrelay run as the built process with info logs: the secret travels in the URL,
 * and must not reach the logs.
 */
describe('ACR trigger notifications', () => {
  let database: TestDatabase;
  let regrelay: RegrelayProcess;
  let api: ReturnType<typeof processCaller>;
  let source: TestRegistry, destination: TestRegistry;
  let sourceClient: RegistryClient;
  let acrId: string, policyId: string;
  const images: Record<string, PushedManifest> = {};
  const token = `acr-test-${randomBytes(12).toString('hex')}`;

  const post = (query: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${regrelay.url}${ACR_WEBHOOK_PATH}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const notification = (tag: string, at: Date, timeZone: string) =>
    acrPayloadText({
      namespace: 'team',
      name: 'app',
      tag,
      digest: images[tag]!.descriptor.digest,
      pushedAt: acrTime(at, timeZone),
    });
  const eventsOf = async (registryId: string) =>
    (await json<{ items: EventRow[] }>(await api.api(`/api/v1/events?registryId=${registryId}`)))
      .items;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    const build = new ImageBuilder(sourceClient);
    for (const tag of ['1.0', '2.0', 'untouched']) {
      images[tag] = await build.image('team/app', {
        tag,
        layers: [{ seed: `acr-${tag}`, size: 8 * KiB }],
      });
    }
    database = await createTestDatabase();
    regrelay = await startRegrelayProcess({
      DATABASE_URL: database.url,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_EVENT_COALESCE_MS: '200',
      REGRELAY_POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    });
    await regrelay.waitReady();
    api = processCaller(regrelay, token);
    acrId = await addRegistry(api, 'acr', source, { webhookSecret: SECRET });
    policyId = await addPolicy(api, {
      name: 'from-acr',
      sourceRegistryId: acrId,
      destinations: [{ registryId: await addRegistry(api, 'mirror', destination) }],
      trigger: { type: 'event' },
    });
  });

  afterAll(async () => {
    await regrelay?.stop();
    await sourceClient?.close();
    await Promise.all([source?.destroy(), destination?.destroy()]);
    await database?.drop();
  });

  it('replicates the pushed tag, and only it, with the time read in Asia/Shanghai', async () => {
    const registry = await json<{ timezone: string | null }>(
      await api.api(`/api/v1/registries/${acrId}`),
    );
    expect(registry.timezone).toBeNull(); // the default: Asia/Shanghai

    const pushedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const body = notification('1.0', pushedAt, 'Asia/Shanghai');
    const res = await post(`?secret=${SECRET}`, body);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1, rejected: 0 });
    // ACR redelivering the same notification changes nothing.
    expect(await (await post(`?secret=${SECRET}`, body)).json()).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });

    const [event] = await waitFor('the event to trigger an execution', async () => {
      const rows = await eventsOf(acrId);
      return rows[0]?.executionIds?.length ? rows : undefined;
    });
    expect(event).toMatchObject({
      status: 'accepted',
      repository: 'team/app',
      tag: '1.0',
      occurredAt: pushedAt.toISOString(),
    });
    const done = await finished(api, event!.executionIds![0]!);
    expect(done).toMatchObject({ trigger: 'event', status: 'succeeded' });
    expect((await tasks(api, done.id)).map((x) => [x.sourceRepository, x.tag, x.status])).toEqual([
      ['team/app', '1.0', 'succeeded'],
    ]);
    expect((await skopeoRawDigest(destination.host, 'team/app', '1.0')).digest).toBe(
      images['1.0']!.descriptor.digest,
    );
    const mirror = new RegistryClient({ name: 'mirror', url: destination.url });
    try {
      expect(await mirror.headManifest('team/app', 'untouched')).toBeUndefined();
    } finally {
      await mirror.close();
    }
    expect(
      await metricValue(api, 'regrelay_events_received_total', {
        registry: 'acr',
        source: 'acr',
        action: 'push',
        result: 'accepted',
      }),
    ).toBe(1);
    expect(
      await metricValue(api, 'regrelay_replication_lag_seconds_count', {
        policy: 'from-acr',
        destination: 'mirror',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("reads the time in the registry's own time zone once it is set, and refuses non-zones", async () => {
    const refused = await api.api(`/api/v1/registries/${acrId}`, {
      method: 'PATCH',
      json: { timezone: '+02:00' },
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      errors: [{ field: 'timezone', reason: expect.stringMatching(/IANA time zone/) }],
    });
    const set = await json<{ timezone: string }>(
      await api.api(`/api/v1/registries/${acrId}`, {
        method: 'PATCH',
        json: { timezone: 'europe/berlin' },
      }),
    );
    expect(set.timezone).toBe('Europe/Berlin');

    const pushedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const res = await post(`?secret=${SECRET}`, notification('2.0', pushedAt, 'Europe/Berlin'));
    expect(await res.json()).toMatchObject({ accepted: 1 });
    const row = await waitFor('the 2.0 event to trigger', async () => {
      const found = (await eventsOf(acrId)).find((r) => r.tag === '2.0');
      return found?.executionIds?.length ? found : undefined;
    });
    expect(row.occurredAt).toBe(pushedAt.toISOString());
    expect((await finished(api, row.executionIds![0]!)).status).toBe('succeeded');
    expect((await skopeoRawDigest(destination.host, 'team/app', '2.0')).digest).toBe(
      images['2.0']!.descriptor.digest,
    );
    const executions = await json<{ items: unknown[] }>(
      await api.api(`/api/v1/executions?policyId=${policyId}`),
    );
    expect(executions.items).toHaveLength(2);
  });

  it('refuses a wrong or missing secret with 401, and stores nothing', async () => {
    const before = (await eventsOf(acrId)).length;
    const body = notification('untouched', new Date(), 'Asia/Shanghai');
    const wrong = await post('?secret=rrwh_not-the-secret-of-any-registry', body);
    expect(wrong.status).toBe(401);
    const missing = await post('', body);
    expect(missing.status).toBe(401);
    expect(await missing.text()).toMatch(/\?secret=/);
    expect((await post(`?secret=${SECRET.slice(0, -1)}X`, body)).status).toBe(401);
    expect((await eventsOf(acrId)).length).toBe(before);
    // The header works too, for a proxy that moves the secret out of the URL.
    expect((await post('', body, { authorization: `Bearer ${SECRET}` })).status).toBe(202);
  });

  it('keeps the secret out of its logs', async () => {
    // Every request above was logged (pino-http, one line each), the refused ones twice.
    const lines = await waitFor('the request lines to be logged', async () => {
      const found = regrelay
        .output()
        .split('\n')
        .filter((l) => l.includes(ACR_WEBHOOK_PATH));
      return found.length >= 8 ? found : undefined;
    });
    expect(regrelay.output()).not.toContain(SECRET);
    expect(regrelay.output()).not.toContain('rrwh_not-the-secret-of-any-registry');
    expect(lines.some((l) => l.includes(`${ACR_WEBHOOK_PATH}?secret=[redacted]`))).toBe(true);
  });
});
