import type { TestRegistry } from '../../test/support/registry.js';
import { verifyCopy, type Dataset } from '../lib/datasets.js';
import {
  alternate,
  timed,
  withDestinations,
  type BenchContext,
  type Measurement,
  type Tool,
} from '../lib/harness.js';
import { bytesWrittenBy, CpuMeter } from '../lib/proc.js';
import { MiB } from '../lib/stats.js';
import { floorCopy } from '../runners/floor.js';
import { regrelayCopy } from '../runners/regrelay.js';
import { skopeoSync } from '../runners/skopeo.js';

/** A source registry holding a data set, registered in regrelay. */
export interface Source {
  registry: TestRegistry;
  id: string;
  dataset: Dataset;
}

const throughput = { MiBps: { unit: 'MiB/s', better: 'higher' as const } };
const rss = { rssGrowthMiB: { unit: 'MiB', better: 'lower' as const } };
const cpu = {
  cpuSeconds: { unit: 'CPU s', better: 'lower' as const },
  cpuPostgres: { unit: 'CPU s', better: 'lower' as const },
  cpuRegistries: { unit: 'CPU s', better: 'lower' as const },
};

/**
 * The registries' CPU during a copy by another tool than regrelay (whose runner
 * measures its own, with its PostgreSQL's): where the time goes, for every tool.
 */
async function registryCpu(
  registries: TestRegistry[],
  copy: () => Promise<number>,
): Promise<{ seconds: number; cpuRegistries: number; cpuOwn: number }> {
  const meter = new CpuMeter(async () => ({ registries: registries.map((r) => r.pid) }));
  await meter.start();
  const own = process.cpuUsage();
  const seconds = await copy();
  const used = process.cpuUsage(own);
  return {
    seconds,
    cpuRegistries: (await meter.stop()).registries,
    // The bench process's own CPU: the floor's, which runs in it (with the meter's reads).
    cpuOwn: (used.user + used.system) / 1e6,
  };
}

/** What regrelay's runner measured of where the CPU went, as figures. */
function cpuFigures(run: { cpuSeconds: number; cpuPostgres: number; cpuRegistries: number }) {
  return {
    cpuSeconds: run.cpuSeconds,
    cpuPostgres: run.cpuPostgres,
    cpuRegistries: run.cpuRegistries,
  };
}

/**
 * Scenarios 1 and 4: one source → one empty destination, as throughput. For
 * regrelay also the RSS growth of its process during the copy.
 */
export function throughputScenario(
  ctx: BenchContext,
  scenario: string,
  source: Source,
): Promise<Measurement[]> {
  const mib = source.dataset.bytes / MiB;
  return alternate(
    ctx,
    scenario,
    ['regrelay', 'skopeo sync', 'floor'],
    { ...throughput, ...rss, ...cpu },
    (tool) =>
      withDestinations(1, async ([destination]) => {
        const figures: Record<string, number> = {};
        const registries = [source.registry, destination!];
        if (tool === 'regrelay') {
          const run = await regrelayCopy(ctx, source.id, [destination!], {
            registries: registries.map((r) => r.pid),
          });
          figures.MiBps = mib / run.seconds;
          figures.rssGrowthMiB = run.rssGrowthBytes / MiB;
          Object.assign(figures, cpuFigures(run));
        } else {
          const run = await registryCpu(registries, () =>
            timed(() => copyWith(tool, source, destination!, ctx)),
          );
          figures.MiBps = mib / run.seconds;
          figures.cpuRegistries = run.cpuRegistries;
          if (tool === 'floor') figures.cpuSeconds = run.cpuOwn;
        }
        await verifyCopy(destination!, source.dataset);
        return figures;
      }),
  );
}

/**
 * Scenarios 2 and 3: many small images copied (tags per second), then the same
 * again when everything is there (no-op resync, seconds). The floor has no resync:
 * it would copy everything again.
 */
export function manySmallScenario(ctx: BenchContext, source: Source): Promise<Measurement[]> {
  const tags = source.dataset.images.length;
  return alternate(
    ctx,
    'many small',
    ['regrelay', 'skopeo sync', 'floor'],
    {
      tagsPerSecond: { unit: 'tags/s', better: 'higher' },
      resyncSeconds: { unit: 's', better: 'lower' },
      ...cpu,
    },
    (tool) =>
      withDestinations(1, async ([destination]): Promise<Record<string, number>> => {
        const registries = [source.registry, destination!];
        if (tool === 'regrelay') {
          const run = await regrelayCopy(ctx, source.id, [destination!], {
            resync: true,
            registries: registries.map((r) => r.pid),
          });
          await verifyCopy(destination!, source.dataset);
          return {
            tagsPerSecond: tags / run.seconds,
            resyncSeconds: run.resyncSeconds!,
            ...cpuFigures(run),
          };
        }
        const { seconds, cpuRegistries, cpuOwn } = await registryCpu(registries, () =>
          timed(() => copyWith(tool, source, destination!, ctx)),
        );
        await verifyCopy(destination!, source.dataset);
        if (tool === 'floor')
          return { tagsPerSecond: tags / seconds, cpuRegistries, cpuSeconds: cpuOwn };
        const resync = await timed(() => copyWith(tool, source, destination!, ctx));
        return { tagsPerSecond: tags / seconds, resyncSeconds: resync, cpuRegistries };
      }),
  );
}

/**
 * Scenario 5: the bulk set to several destinations at once. Delivered throughput
 * counts every destination's copy; source reads are the source registry's bytes
 * written to its sockets during the run, as a multiple of the data set.
 */
export function fanOutScenario(
  ctx: BenchContext,
  source: Source,
  destinations: number,
): Promise<Measurement[]> {
  const mib = source.dataset.bytes / MiB;
  const tools: Tool[] = [
    'regrelay',
    'skopeo sync ×3 sequential',
    'skopeo sync ×3 parallel',
    'floor',
  ];
  return alternate(
    ctx,
    'fan-out',
    tools,
    {
      ...throughput,
      ...rss,
      ...cpu,
      sourceReadRatio: { unit: '× data set', better: 'lower' },
    },
    (tool) =>
      withDestinations(destinations, async (targets) => {
        const before = await bytesWrittenBy(source.registry.pid);
        const figures: Record<string, number> = {};
        const registries = [source.registry, ...targets];
        let seconds: number;
        if (tool === 'regrelay') {
          const run = await regrelayCopy(ctx, source.id, targets, {
            registries: registries.map((r) => r.pid),
          });
          seconds = run.seconds;
          figures.rssGrowthMiB = run.rssGrowthBytes / MiB;
          Object.assign(figures, cpuFigures(run));
        } else {
          const run = await registryCpu(registries, () =>
            timed(async () => {
              if (tool === 'skopeo sync ×3 sequential') {
                for (const target of targets) await copyWith('skopeo sync', source, target, ctx);
                return;
              }
              const single = tool === 'floor' ? 'floor' : 'skopeo sync';
              await Promise.all(targets.map((t) => copyWith(single, source, t, ctx)));
            }),
          );
          seconds = run.seconds;
          figures.cpuRegistries = run.cpuRegistries;
          if (tool === 'floor') figures.cpuSeconds = run.cpuOwn;
        }
        const read = (await bytesWrittenBy(source.registry.pid)) - before;
        await Promise.all(targets.map((t) => verifyCopy(t, source.dataset)));
        figures.MiBps = (mib * destinations) / seconds;
        figures.sourceReadRatio = read / source.dataset.bytes;
        return figures;
      }),
  );
}

function copyWith(
  tool: Tool,
  source: Source,
  destination: TestRegistry,
  ctx: BenchContext,
): Promise<void> {
  if (tool === 'floor') return floorCopy(source.registry, source.dataset, destination);
  if (tool === 'skopeo sync')
    return skopeoSync(source.registry, source.dataset.repositories, destination, ctx.runTimeoutMs);
  throw new Error(`copyWith: ${tool} is not a single copy`);
}
