import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import type { TestRegistry } from '../../test/support/registry.js';
import { verifyCopy } from '../lib/datasets.js';
import { cpuSecondsOf } from '../lib/proc.js';
import {
  alternate,
  timed,
  withDestinations,
  type BenchContext,
  type Measurement,
} from '../lib/harness.js';
import type { RegrelayUnderTest } from '../lib/regrelay.js';
import { skopeoCopy } from '../runners/skopeo.js';
import type { Source } from './copy-scenarios.js';

/**
 * Scenario 7: a promotion with no gates of one image between two registries, against
 * `skopeo copy --all --preserve-digests` of the same digest, side by side (each run
 * into a fresh, empty registry). Then, for regrelay, the retag: the same digest
 * promoted again under a new tag into the stage that now holds it — its time, and
 * the PUT requests it sent to that registry (one manifest PUT, no blobs).
 */
export function promotionScenario(ctx: BenchContext, source: Source): Promise<Measurement[]> {
  const image = source.dataset.images[0]!;
  return alternate(
    ctx,
    'promotion',
    ['regrelay', 'skopeo copy'],
    {
      seconds: { unit: 's', better: 'lower' },
      retagSeconds: { unit: 's', better: 'lower' },
      retagPuts: { unit: 'PUT requests', better: 'lower' },
      copySeconds: { unit: 's', better: 'lower' },
      cpuSeconds: { unit: 'CPU s', better: 'lower' },
    },
    (tool) =>
      withDestinations(1, async ([destination]) => {
        let figures: Record<string, number>;
        if (tool === 'skopeo copy') {
          figures = {
            seconds: await timed(() =>
              skopeoCopy(
                source.registry,
                image.repository,
                image.manifest.descriptor.digest,
                destination!,
                image.tag,
                ctx.runTimeoutMs,
              ),
            ),
          };
        } else {
          figures = await promoteTwice(
            ctx,
            source,
            destination!,
            image.repository,
            image.manifest.descriptor.digest,
            image.tag,
          );
        }
        await verifyCopy(destination!, { ...source.dataset, images: [image] });
        return figures;
      }),
  );
}

async function promoteTwice(
  ctx: BenchContext,
  source: Source,
  destination: TestRegistry,
  repository: string,
  digest: string,
  tag: string,
): Promise<Record<string, number>> {
  const api = ctx.regrelay;
  const run = randomUUID().slice(0, 8);
  const registryName = `bench-${run}-stage`;
  const destinationId = await api.addRegistry(registryName, destination);
  const pipeline = await api.call<{ id: string }>(
    'POST',
    '/pipelines',
    {
      name: `bench-${run}`,
      stages: [
        { name: 'dev', registryId: source.id },
        { name: 'prod', registryId: destinationId },
      ],
    },
    201,
  );
  try {
    const cpuBefore = await cpuSecondsOf(api.pid);
    const first = await promoteAndWait(
      api,
      pipeline.id,
      { repository, digest, tag, toStage: 'prod' },
      ctx.runTimeoutMs,
    );
    const cpuSeconds = (await cpuSecondsOf(api.pid)) - cpuBefore;
    const before = await putsTo(api, registryName);
    const retag = await promoteAndWait(
      api,
      pipeline.id,
      { repository, digest, tag: `${tag}-retag`, toStage: 'prod' },
      ctx.runTimeoutMs,
    );
    return {
      seconds: first.seconds,
      copySeconds: first.copySeconds,
      cpuSeconds,
      retagSeconds: retag.seconds,
      retagPuts: (await putsTo(api, registryName)) - before,
    };
  } finally {
    await api.call('DELETE', `/pipelines/${pipeline.id}`, undefined, 204);
    await api.call('DELETE', `/registries/${destinationId}`, undefined, 204);
  }
}

/**
 * From just before the request to the promotion's own endedAt (the same clock); and
 * how much of it the copy's execution took, start to end.
 */
async function promoteAndWait(
  api: RegrelayUnderTest,
  pipelineId: string,
  body: object,
  timeoutMs: number,
): Promise<{ seconds: number; copySeconds: number }> {
  const started = Date.now();
  const { id } = await api.call<PromotionDto>(
    'POST',
    `/pipelines/${pipelineId}/promotions`,
    body,
    202,
  );
  for (;;) {
    const p = await api.call<PromotionDto>('GET', `/promotions/${id}`);
    if (p.endedAt) {
      if (p.status !== 'succeeded') throw new Error(`promotion ${id} ${p.status}: ${p.message}`);
      const e = await api.call<{ startedAt: string; endedAt: string }>(
        'GET',
        `/executions/${p.executionId}`,
      );
      return {
        seconds: (Date.parse(p.endedAt) - started) / 1000,
        copySeconds: (Date.parse(e.endedAt) - Date.parse(e.startedAt)) / 1000,
      };
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`promotion ${id} still ${p.status} after ${timeoutMs} ms`);
    // Rarely enough not to compete for the CPU with the copy; the figure comes from endedAt.
    await sleep(100);
  }
}

/** PUT requests regrelay has sent to a registry (regrelay_registry_requests_total). */
async function putsTo(api: RegrelayUnderTest, registry: string): Promise<number> {
  const text = await api.metrics();
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('regrelay_registry_requests_total{') &&
        l.includes(`registry="${registry}"`) &&
        l.includes('method="PUT"'),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
