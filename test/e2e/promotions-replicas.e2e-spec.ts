import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import type { PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, promote, promotionIn } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Two replicas on one database: promotions into one stage, requested through both,
 * still copy one at a time and in request order.
 */
describe('promotions with two replicas', () => {
  let database: TestDatabase;
  let a: TestApp, b: TestApp;
  let dev: TestRegistry, prod: TestRegistry;
  let prodClient: RegistryClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' }, { database });
    b = await startTestApp(
      { REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_ADMIN_TOKEN: a.adminToken },
      { database },
    );
    [dev, prod] = await Promise.all([startRegistry(), startRegistry()]);
    prodClient = new RegistryClient({ name: 'prod', url: prod.url });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
    await prodClient?.close();
    await Promise.all([dev?.destroy(), prod?.destroy()]);
  });

  it('copies into a stage one promotion at a time, in request order, whichever replica took the request', async () => {
    const pipeline = await createPipeline(a, {
      name: 'replicas',
      stages: [
        { name: 'dev', registryId: await addRegistry(a, 'dev', dev) },
        { name: 'prod', registryId: await addRegistry(a, 'prod', prod) },
      ],
    });
    const client = new RegistryClient({ name: 'dev', url: dev.url });
    const digests: string[] = [];
    for (let i = 0; i < 6; i++) {
      const image = await new ImageBuilder(client).image('team/app', {
        tag: `r${i}`,
        layers: [{ seed: `replica-${i}`, size: 256 * 1024 }],
      });
      digests.push(image.descriptor.digest);
    }
    await client.close();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const via = i % 2 ? b : a;
      const res = await promote(via, pipeline.id, {
        repository: 'team/app',
        tag: `r${i}`,
        targetTag: 'current',
        toStage: 'prod',
      });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    const done: PromotionDto[] = [];
    for (const id of ids) done.push(await promotionIn(a, id, ['succeeded', 'failed', 'refused']));
    expect(done.map((p) => p.status)).toEqual(Array(6).fill('succeeded'));
    for (let i = 1; i < done.length; i++)
      expect(Date.parse(done[i]!.startedAt!)).toBeGreaterThanOrEqual(
        Date.parse(done[i - 1]!.endedAt!),
      );
    expect((await prodClient.headManifest('team/app', 'current'))?.digest).toBe(digests[5]);
  });
});
