import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient, digestOf } from '../../src/oci/index.js';
import { startRegistry, type TestRegistry } from '../../test/support/registry.js';
import { pushIdenticalTagSets } from '../lib/datasets.js';
import { seedIdenticalTagSets } from '../lib/storage-seed.js';
import type { BenchContext, Measurement } from '../lib/harness.js';
import { CpuMeter, descendantsOf, sampleRss } from '../lib/proc.js';
import { MiB, summarize } from '../lib/stats.js';

const run = promisify(execFile);

export interface PlanningScaleSize {
  /** Tags per repository, the same in every repository. */
  tagsPerRepository: number;
  /** Repositories planned by each case (the data set holds the largest). */
  cases: number[];
}

/**
 * Planning a no-op at growing scale (the 1k / 10k / 100k tags, 1,000 per
 * repository): how long, and how much memory the regrelay process holds at its peak,
 * so that a plan that keeps everything it saw, or slows down as it goes, shows. Not
 * part of the default run or of CI (the 100,000-tag plan alone takes minutes).
 * `BENCH_ONLY=planning-scale npm run bench`.
 */
export async function planningScaleScenario(
  ctx: BenchContext,
  size: PlanningScaleSize,
): Promise<Measurement[]> {
  const repositories = Math.max(...size.cases);
  const prefix = 'scale';
  const shape = { prefix, repositories, tagsPerRepository: size.tagsPerRepository };
  const started = performance.now();
  // Written into the registries' storage before they start (BENCH_SCALE_SEED=push:
  // pushed through the API instead, which takes most of an hour at 100,000 tags).
  const push = process.env.BENCH_SCALE_SEED === 'push';
  const storage = push
    ? []
    : await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'regrelay-scale-'))));
  if (!push) await seedIdenticalTagSets(storage, shape);
  const [source, destination] = (await Promise.all(
    [0, 1].map((i) => startRegistry(push ? {} : { storageDir: storage[i] })),
  )) as [TestRegistry, TestRegistry];
  try {
    if (push) await pushIdenticalTagSets([source, destination], shape);
    else await checkSeeded([source, destination], shape);
    ctx.log(
      `  planning-scale data: ${repositories * size.tagsPerRepository} tags in both registries, ` +
        `${push ? 'pushed' : 'written to their storage'} ` +
        `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    const api = ctx.regrelay;
    const sourceId = await api.addRegistry('bench-scale-source', source);
    const destinationId = await api.addRegistry('bench-scale-destination', destination);
    const names = (n: number) => Array.from({ length: n }, (_, r) => `${prefix}/r${r}`);
    const policies = await Promise.all(
      size.cases.map((n) =>
        api.addPolicy(
          `bench-scale-${n}`,
          sourceId,
          [destinationId],
          // All of them through the catalog, as an operator would select them.
          n === repositories ? [`${prefix}/**`] : names(n),
        ),
      ),
    );
    const meter = new CpuMeter(async () => ({
      regrelay: [api.pid],
      postgres: await descendantsOf(api.pid),
      registries: [source.pid, destination.pid],
    }));
    const samples = size.cases.map(() => ({
      seconds: [] as number[],
      rss: [] as number[],
      cpu: [] as number[],
    }));
    for (let round = 0; round < ctx.rounds; round++) {
      for (const [i, n] of size.cases.entries()) {
        const tags = n * size.tagsPerRepository;
        const rss = sampleRss(api.pid);
        const memory = sampleMemory(api);
        await meter.start();
        const { seconds, execution } = await api.run(policies[i]!, ctx.runTimeoutMs);
        const cpu = await meter.stop();
        const peak = await rss.stop();
        const heap = await memory.stop();
        if (execution.counts.succeeded > 0 || execution.counts.inPlace !== tags)
          throw new Error(
            `planning ${tags} tags: expected all in place, got ${JSON.stringify(execution.counts)}`,
          );
        samples[i]!.seconds.push(seconds);
        samples[i]!.rss.push(peak / MiB);
        samples[i]!.cpu.push(cpu.regrelay);
        ctx.log(
          `  planning-scale round ${round + 1}/${ctx.rounds} ${tags} tags: ${seconds.toFixed(2)} s, ` +
            `peak RSS ${(peak / MiB).toFixed(0)} MiB; CPU s regrelay ${cpu.regrelay.toFixed(1)} ` +
            `postgres ${cpu.postgres.toFixed(1)} registries ${cpu.registries.toFixed(1)}; ` +
            `at the largest heap: ${heap}`,
        );
      }
    }
    for (const id of policies) await api.call('DELETE', `/policies/${id}`, undefined, 204);
    for (const id of [sourceId, destinationId])
      await api.call('DELETE', `/registries/${id}`, undefined, 204);
    return size.cases.flatMap((n, i) => {
      const tags = n * size.tagsPerRepository;
      const of = (metric: string, unit: string, values: number[]): Measurement => ({
        scenario: 'planning-scale',
        tool: 'regrelay',
        metric: `${metric}${tags}`,
        unit,
        better: 'lower',
        summary: summarize(values),
      });
      return [
        of('noop', 's', samples[i]!.seconds),
        of('peakRss', 'MiB', samples[i]!.rss),
        of('cpu', 'CPU s', samples[i]!.cpu),
      ];
    });
  } finally {
    await Promise.all([source.destroy(), destination.destroy()]);
    // rm(1) removes the 800,000 files of the 100k set in a fraction of fs.rm's time.
    await Promise.all(storage.map((dir) => run('rm', ['-rf', dir])));
  }
}

/**
 * The registries serve what was written to their storage: a sample of repositories
 * list every tag, and their tags resolve to manifests that read back by digest.
 */
async function checkSeeded(
  registries: TestRegistry[],
  o: { prefix: string; repositories: number; tagsPerRepository: number },
): Promise<void> {
  const sample = [...new Set([0, Math.floor(o.repositories / 2), o.repositories - 1])];
  for (const registry of registries) {
    const client = new RegistryClient({ name: 'bench-scale-check', url: registry.url });
    try {
      for (const r of sample) {
        const repository = `${o.prefix}/r${r}`;
        const tags = new Set<string>();
        for await (const page of client.tagPages(repository)) for (const t of page) tags.add(t);
        if (tags.size !== o.tagsPerRepository)
          throw new Error(
            `${registry.url} ${repository}: ${tags.size} tags, not ${o.tagsPerRepository}`,
          );
        const tag = `t${o.tagsPerRepository - 1}`;
        const head = await client.headManifest(repository, tag);
        const manifest = head && (await client.getManifest(repository, head.digest));
        if (!manifest || digestOf(manifest.bytes) !== head.digest)
          throw new Error(`${registry.url} ${repository}:${tag} does not read back`);
      }
    } finally {
      await client.close();
    }
  }
}

/**
 * What the process's memory is made of while it plans, from its own /metrics every
 * 500 ms: the sample with the largest V8 heap, as "heap used/total, external, RSS".
 */
function sampleMemory(api: BenchContext['regrelay']): { stop(): Promise<string> } {
  const gauge = (text: string, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / MiB;
  let largest = { used: 0, total: 0, external: 0, rss: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const text = await api.metrics().catch(() => '');
      const sample = {
        used: gauge(text, 'nodejs_heap_size_used_bytes'),
        total: gauge(text, 'nodejs_heap_size_total_bytes'),
        external: gauge(text, 'nodejs_external_memory_bytes'),
        rss: gauge(text, 'process_resident_memory_bytes'),
      };
      if (sample.total > largest.total) largest = sample;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const f = (n: number) => n.toFixed(0);
      return `heap ${f(largest.used)}/${f(largest.total)} MiB, external ${f(largest.external)} MiB, RSS ${f(largest.rss)} MiB`;
    },
  };
}
