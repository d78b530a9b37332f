import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { Clock } from '../../src/promotions/clock.js';
import type { PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import { generateSigningKey, pushCosignSignature, type SigningKey } from '../support/cosign.js';
import { startCheckServer, type CheckServer } from '../support/check-server.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, promote, promotionIn } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ENDED = ['succeeded', 'failed', 'refused'];

/**
 * Each gate on a real registry pair: signature (cosign format, both storage places),
 * soak, an external check on 127.0.0.1, and a freeze window. Time-based gates are
 * driven by moving the app's clock, never by waiting for the wall clock.
 */
describe('promotion gates', () => {
  let t: TestApp;
  let dev: TestRegistry, next: TestRegistry;
  let devClient: RegistryClient, nextClient: RegistryClient;
  let devId: string, nextId: string;
  let key: SigningKey, otherKey: SigningKey;
  let check: CheckServer;
  let clock: Clock;
  let offsetMs = 0;
  let n = 0;

  /** A pipeline dev → gated with these gates, and an image in dev. */
  const setUp = async (gates: object[]) => {
    const name = `gates-${++n}`;
    const pipeline = await createPipeline(t, {
      name,
      stages: [
        { name: 'dev', registryId: devId },
        { name: 'gated', registryId: nextId, repository: `${name}/{repository}`, gates },
      ],
    });
    const image = await new ImageBuilder(devClient).image('team/app', {
      tag: name,
      layers: [{ seed: name, size: 8 * 1024 }],
    });
    const ask = () =>
      promote(t, pipeline.id, { repository: 'team/app', tag: name, toStage: 'gated' });
    return { pipeline, image, ask, tag: name };
  };

  beforeAll(async () => {
    // 127.0.0.2 stands for a network the operator denies (as link-local is by default).
    t = await startTestApp({
      REGRELAY_POLL_INTERVAL_MS: '100',
      REGRELAY_DENY_NETWORKS: '169.254.0.0/16,127.0.0.2/32',
    });
    [dev, next] = await Promise.all([startRegistry(), startRegistry()]);
    devClient = new RegistryClient({ name: 'dev', url: dev.url });
    nextClient = new RegistryClient({ name: 'next', url: next.url });
    devId = await addRegistry(t, 'dev', dev);
    nextId = await addRegistry(t, 'next', next);
    key = generateSigningKey();
    otherKey = generateSigningKey();
    check = await startCheckServer();
    clock = t.app.get(Clock);
    const real = clock.now.bind(clock);
    clock.now = () => new Date(real().getTime() + offsetMs);
  });

  afterAll(async () => {
    await t?.close();
    await check?.close();
    await Promise.all([devClient?.close(), nextClient?.close()]);
    await Promise.all([dev?.destroy(), next?.destroy()]);
  });

  it('signature: waits with "no signature", refuses another key, passes the right one (tag or referrer)', async () => {
    const gates = [{ type: 'signature', publicKey: key.publicKeyPem }];
    const unsigned = await setUp(gates);
    const waiting = (await unsigned.ask()).body;
    expect(waiting.status).toBe('waiting');
    expect(waiting.gates[0]!.reason).toContain(
      `no signature of ${unsigned.image.descriptor.digest}`,
    );
    expect(waiting.message).toContain('no signature');
    // Signed later, where cosign puts it by default: the waiting promotion goes on.
    await pushCosignSignature(devClient, 'team/app', unsigned.image.descriptor, key, 'tag');
    offsetMs += 16_000; // the gate looks again every 15 s
    const late = await promotionIn(t, waiting.id, ENDED, 30_000);
    expect(late.status).toBe('succeeded');
    expect(late.gates[0]!.evidence).toMatchObject({ via: 'tag' });

    // With a soak beside it, which the refusal leaves undecided.
    const foreign = await setUp([...gates, { type: 'soak', seconds: 3600 }]);
    await pushCosignSignature(
      devClient,
      'team/app',
      foreign.image.descriptor,
      otherKey,
      'referrer',
    );
    const refused = (await foreign.ask()).body;
    expect(refused.status).toBe('refused');
    expect(refused.message).toContain('does not verify with the configured key');
    expect(refused.gates.map((g) => [g.type, g.status, g.nextCheckAt])).toEqual([
      ['signature', 'refused', null],
      ['soak', 'skipped', null],
    ]);
    expect(await nextClient.headManifest(`${foreign.tag}/team/app`, foreign.tag)).toBeUndefined();

    const misnamed = await setUp(gates);
    await pushCosignSignature(devClient, 'team/app', misnamed.image.descriptor, key, 'referrer', {
      payloadDigest: unsigned.image.descriptor.digest,
    });
    const wrongDigest = (await misnamed.ask()).body;
    expect(wrongDigest.status).toBe('refused');
    expect(wrongDigest.message).toContain(`names "${unsigned.image.descriptor.digest}"`);

    const signed = await setUp(gates);
    await pushCosignSignature(devClient, 'team/app', signed.image.descriptor, key, 'referrer');
    const passed = await promotionIn(t, (await signed.ask()).body.id, ENDED);
    expect(passed.status).toBe('succeeded');
    expect(passed.gates[0]).toMatchObject({ status: 'passed', evidence: { via: 'referrer' } });
  });

  it('soak: waits until the digest has been in the previous stage long enough', async () => {
    const soak = await setUp([{ type: 'soak', seconds: 3600 }]);
    const asked = (await soak.ask()).body;
    expect(asked.status).toBe('waiting');
    expect(asked.gates[0]!.reason).toMatch(/soaking: in stage dev since .* 3600 s are needed/);
    offsetMs += 3601_000;
    const done = await promotionIn(t, asked.id, ENDED);
    expect(done.status).toBe('succeeded');
    expect(done.gates[0]).toMatchObject({
      status: 'passed',
      evidence: { seconds: 3600, how: 'observed' },
    });
  });

  it('check: retries what is not 2xx or 4xx, passes on 2xx, refuses on 4xx with the body, and at its timeout', async () => {
    check.answer({ status: 503, body: 'busy' }, { status: 200, body: 'tests green' });
    const passing = await setUp([{ type: 'check', url: check.url, timeoutSeconds: 60 }]);
    const first = (await passing.ask()).body;
    expect(first.status).toBe('waiting');
    expect(first.gates[0]!.reason).toContain('answered 503; retrying until');
    const passed = await promotionIn(t, first.id, ENDED, 30_000);
    expect(passed.status).toBe('succeeded');
    expect(passed.gates[0]).toMatchObject({
      status: 'passed',
      evidence: { calls: 2, status: 200 },
    });
    expect(check.calls.at(-1)!.body).toMatchObject({
      pipeline: passing.pipeline.name,
      stage: 'gated',
      repository: 'team/app',
      digest: passing.image.descriptor.digest,
    });

    check.answer({ status: 422, body: 'integration tests failed: 3 of 120' });
    const failing = await setUp([{ type: 'check', url: check.url, timeoutSeconds: 60 }]);
    const refused = (await failing.ask()).body;
    expect(refused.status).toBe('refused');
    expect(refused.message).toContain('integration tests failed: 3 of 120');

    check.answer({ status: 500, body: 'down' });
    const silent = await setUp([{ type: 'check', url: check.url, timeoutSeconds: 30 }]);
    const retrying = (await silent.ask()).body;
    expect(retrying.status).toBe('waiting');
    offsetMs += 31_000;
    const timedOut = await promotionIn(t, retrying.id, ENDED, 30_000);
    expect(timedOut.status).toBe('refused');
    expect(timedOut.message).toContain('gave no 2xx or 4xx within 30 s');

    // A check may reach only what registries may: the outbound address policy applies.
    const denied = await setUp([
      { type: 'check', url: 'http://127.0.0.2:40000/check', timeoutSeconds: 60 },
    ]);
    const refusedAtOnce = (await denied.ask()).body;
    expect(refusedAtOnce.status).toBe('refused');
    expect(refusedAtOnce.message).toContain('refused by the outbound address policy');
  });

  it('window: a freeze holds a promotion until the window opens', async () => {
    // Windows open at 03:00 UTC for an hour; the clock is put at 12:00, outside.
    const now = clock.now();
    const noon = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 12);
    offsetMs += noon - now.getTime();
    const frozen = await setUp([{ type: 'window', cron: '0 3 * * *', durationMinutes: 60 }]);
    const held = (await frozen.ask()).body;
    expect(held.status).toBe('waiting');
    const opensAt = new Date(noon + 15 * 3_600_000).toISOString();
    expect(held.gates[0]!.reason).toContain(`frozen: outside the promotion windows`);
    expect(held.gates[0]!.reason).toContain(`the next opens at ${opensAt}`);
    expect(
      ((await t.api(`/api/v1/promotions/${held.id}`).then((r) => r.json())) as PromotionDto).status,
    ).toBe('waiting');
    offsetMs += 15 * 3_600_000 + 10 * 60_000; // 03:10 the next day
    const done = await promotionIn(t, held.id, ENDED);
    expect(done.status).toBe('succeeded');
    expect(done.gates[0]!.evidence).toMatchObject({ openedAt: opensAt });
  });

  it('refuses gates that make no sense, naming each field', async () => {
    const res = await t.api('/api/v1/pipelines', {
      method: 'POST',
      json: {
        name: 'bad-gates',
        stages: [
          { name: 'dev', registryId: devId },
          {
            name: 'prod',
            registryId: nextId,
            repository: 'prod',
            gates: [
              { type: 'approval', required: 0 },
              { type: 'signature', publicKey: 'not a key' },
              { type: 'window', cron: 'every day', durationMinutes: 30 },
              { type: 'check', url: 'ftp://x', timeoutSeconds: 5 },
              { type: 'teleport' },
            ],
          },
        ],
      },
    });
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as { errors: { field: string }[] }).errors.map(
      (e) => e.field,
    );
    expect(fields).toEqual(
      expect.arrayContaining([
        'stages[1].repository',
        'stages[1].gates[0].required',
        'stages[1].gates[1].publicKey',
        'stages[1].gates[2].cron',
        'stages[1].gates[3].url',
        'stages[1].gates[4].type',
      ]),
    );
  });
});
