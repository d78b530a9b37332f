import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder } from '../support/image-builder.js';
import {
  addPolicy,
  addRegistry,
  finished,
  tasks,
  type ApiCaller,
} from '../support/replication-api.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';
import { DISTRIBUTION_EVENTS_TYPE, distributionEvent, executionsOf } from '../support/webhooks.js';

const SECRET = 'redos-source-webhook-secret-0001';

/**
 * Tag names are chosen by whoever can push. regrelay runs as its own process here,
 * so that a filter stuck in exponential backtracking freezes that process (as it
 * froze every replica's coalescer) while the test's own timers still run: the
 * bounded wait below, or Jest's timeout, then fails the test.
 */
describe('a push whose tag name attacks a filter', () => {
  let database: TestDatabase;
  let registry: TestRegistry;
  let regrelay: RegrelayProcess;
  let api: ApiCaller;

  beforeAll(async () => {
    registry = await startRegistry();
    database = await createTestDatabase();
    const token = `redos-${randomBytes(12).toString('hex')}`;
    regrelay = await startRegrelayProcess({
      DATABASE_URL: database.url,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_EVENT_COALESCE_MS: '100',
      REGRELAY_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    });
    await regrelay.waitReady();
    api = processCaller(regrelay, token);
  });
  afterAll(async () => {
    await regrelay?.stop('SIGKILL');
    await registry?.destroy();
    await database?.drop();
  });

  it('is coalesced in linear time: the event after it still triggers its execution', async () => {
    const sourceId = await addRegistry(api, 'source', registry, { webhookSecret: SECRET });
    const destinationId = await addRegistry(api, 'destination', registry);
    const policyId = await addPolicy(api, {
      name: 'nested-quantifier',
      sourceRegistryId: sourceId,
      destinations: [{ registryId: destinationId, namespace: 'copy' }],
      trigger: { type: 'event' },
      // A classic catastrophic pattern on a backtracking engine.
      filters: { repositories: ['app'], tags: ['re:(a+)+'] },
    });
    const client = new RegistryClient({ name: 'source', url: registry.url });
    const pushed = async (tag: string) => {
      const image = await new ImageBuilder(client).image('app', {
        tag,
        layers: [{ seed: tag, size: 1024 }],
      });
      const { digest, mediaType } = image.descriptor;
      return distributionEvent('push', { repository: 'app', tag, digest, mediaType });
    };
    const poison = await pushed('a'.repeat(32) + '-');
    const sentinel = await pushed('aaa');
    await client.close();
    const res = await fetch(regrelay.url + DISTRIBUTION_WEBHOOK_PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': DISTRIBUTION_EVENTS_TYPE },
      body: JSON.stringify({ events: [poison, sentinel] }),
    });
    await res.body?.cancel();
    expect(res.status).toBeLessThan(300);
    const [execution] = await waitFor(
      'the execution the sentinel push triggers',
      async () => {
        const found = await executionsOf(api, policyId);
        return found.length ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect((await finished(api, execution!.id, 30_000)).status).toBe('succeeded');
    // Only the tag the filter matches was copied; the poison tag was not selected.
    expect((await tasks(api, execution!.id)).map((t) => t.tag)).toEqual(['aaa']);
  }, 40_000);
});
