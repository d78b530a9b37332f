import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { RegistryClient } from '../../src/oci/index.js';
import type { PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, createToken, promote } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, json } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * An approval that arrives while an evaluation of the promotion is under way (a pass
 * of the scheduler here or on another replica, begun before it): the approver is
 * answered with gates that count the approval, not with the evaluation's stale view.
 */
describe('an approval during an evaluation', () => {
  let t: TestApp;
  let dev: TestRegistry, prod: TestRegistry;

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    [dev, prod] = await Promise.all([startRegistry(), startRegistry()]);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([dev?.destroy(), prod?.destroy()]);
  });

  it('is answered once that evaluation ended, with the approval counted', async () => {
    const pipeline = await createPipeline(t, {
      name: 'decided',
      stages: [
        { name: 'dev', registryId: await addRegistry(t, 'dev', dev) },
        {
          name: 'prod',
          registryId: await addRegistry(t, 'prod', prod),
          gates: [{ type: 'approval', required: 2 }],
        },
      ],
    });
    const client = new RegistryClient({ name: 'dev', url: dev.url });
    await new ImageBuilder(client).image('team/app', {
      tag: 'v1',
      layers: [{ seed: 'decided', size: 1024 }],
    });
    await client.close();
    const [ci, alice] = await Promise.all([
      createToken(t, 'ci', 'operator'),
      createToken(t, 'alice', 'operator'),
    ]);
    const asked = await promote(
      t,
      pipeline.id,
      { repository: 'team/app', tag: 'v1', toStage: 'prod' },
      ci,
    );
    expect(asked.body.message).toContain('0 of 2 approvals');

    // Another replica's evaluation holds the promotion (its lease), and ends 500 ms
    // after the approval arrived, without having seen it.
    const db = t.app.get(DataSource);
    await db.query(
      `UPDATE promotion SET lease_owner = 'another-replica', lease_expires_at = now() + interval '1 minute'
       WHERE id = $1`,
      [asked.body.id],
    );
    const approving = t.api(`/api/v1/promotions/${asked.body.id}/approve`, {
      method: 'POST',
      json: { comment: 'ok' },
      token: alice,
    });
    await sleep(500);
    await db.query(
      `UPDATE promotion SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
      [asked.body.id],
    );
    const answered = await json<PromotionDto>(await approving);
    expect(answered.status).toBe('waiting');
    expect(answered.message).toContain('1 of 2 approvals (alice)');
  });
});
