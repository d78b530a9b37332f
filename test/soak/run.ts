/**
 * The soak: regrelay under a steady stream of changes and faults for a bounded time,
 * then checked for the end state an operator expects.
 *
 *   npm run soak                          # 10 minutes
 *   npm run soak -- --minutes 2           # what CI runs
 *   npm run soak -- --minutes 2 --seed 42 # the same operations and faults again
 *
 * During the run: random pushes, retags and deletes at the source (its notifications
 * trigger an event policy into destination A, behind a fault proxy; a cron policy
 * copies into destination B, which is restarted now and then, reading the source
 * through a second fault proxy), while one of two regrelay replicas is SIGKILLed
 * (sometimes SIGTERMed) and started again. Afterwards, once both policies have run
 * on a quiet system: every destination is identical to the source, no execution is
 * left pending or running, no tag was pushed to a destination more often than the
 * source set it (no task succeeded twice), and the steady replica's RSS at the end is
 * within 64 MiB of its RSS after warm-up. Exit code 0 when all of that holds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient } from '../../src/oci/index.js';
import { FaultSchedule } from './faults.js';
import { Random } from './random.js';
import { SoakWorld, trigger } from './soak-world.js';
import { SourceModel } from './source-model.js';
import { diagnose, settle, type SettleOptions } from './settle.js';
import { extraPushes, tagPushCount } from './verdict.js';

// Compiled to dist/bench/test/soak/run.js; the checkout is four levels up.
const ROOT = resolve(import.meta.dirname, '../../../..');
const RSS_SLACK_MIB = 64;
const REPOSITORIES = ['soak/alpha', 'soak/beta', 'soak/gamma', 'soak/delta'];
const TAGS = ['v1', 'v2', 'v3', 'v4', 'v5', 'latest', 'stable', 'edge'];
/** At most this many source operations per minute, however fast they go. */
const MAX_OPS_PER_MINUTE = 400;

function options() {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const minutes = Number(value('minutes') ?? 10);
  const seed = Number(value('seed') ?? Math.floor(Math.random() * 2 ** 31));
  if (!Number.isFinite(minutes) || minutes < 0.5 || minutes > 240)
    throw new Error('--minutes: expected a number from 0.5 to 240');
  if (!Number.isInteger(seed) || seed < 0) throw new Error('--seed: expected a whole number ≥ 0');
  return { minutes, seed };
}

const started = Date.now();
const log = (message: string) =>
  console.log(`[soak +${Math.round((Date.now() - started) / 1000)}s] ${message}`);

async function main(): Promise<number> {
  const { minutes, seed } = options();
  log(`seed ${seed}: rerun with npm run soak -- --minutes ${minutes} --seed ${seed}`);
  const world = await SoakWorld.start(join(ROOT, 'dist', 'main.js'), log);
  // Ctrl-C ends the soak, not the servers it started: they are stopped first.
  process.once('SIGINT', () => {
    log('interrupted: stopping what the soak started');
    void world.close().finally(() => process.exit(130));
  });
  try {
    const { eventPolicy, cronPolicy } = await world.configure();
    const sourceClient = new RegistryClient({ name: 'source', url: world.source.url });
    const model = new SourceModel(sourceClient, new Random(seed), REPOSITORIES, TAGS);
    await model.seed(3);
    const faults = new FaultSchedule(world, seed, log);
    faults.start();

    const durationMs = minutes * 60_000;
    // Warm: both policies have run many times and every kind of fault has come by, and
    // the heap has grown to its working size (about a minute of this load).
    const warmUpAt = Date.now() + Math.min(60_000, durationMs / 2);
    const deadline = Date.now() + durationMs;
    const pacing = new Random(seed + 7);
    const rss: { warmUp?: number; samples: number[] } = { samples: [] };
    let nextSample = Date.now();
    let manualTriggers = 0;
    const maxOps = Math.ceil(minutes * MAX_OPS_PER_MINUTE);
    for (let ops = 0; ops < maxOps && Date.now() < deadline; ops++) {
      await model.step();
      if (pacing.chance(0.03)) {
        await trigger(world, cronPolicy);
        manualTriggers++;
      }
      if (Date.now() >= nextSample) {
        const now = world.rssMiB(world.steady);
        rss.samples.push(now);
        if (rss.warmUp === undefined && Date.now() >= warmUpAt) {
          rss.warmUp = now;
          log(`warmed up: steady replica RSS ${now} MiB`);
        }
        nextSample = Date.now() + 10_000;
      }
      await sleep(pacing.int(100, 700));
    }
    log(`changes done: ${JSON.stringify(model.operations)}; stopping the faults`);
    await faults.stop();

    const settling: SettleOptions = {
      policies: [eventPolicy, cronPolicy],
      repositories: REPOSITORIES,
      log,
    };
    const settled = await settle(world, model, settling);
    const endRss = world.rssMiB(world.steady);
    const problems = [...settled.problems, ...faults.errors.map((e) => `fault injection: ${e}`)];
    problems.push(...extraPushes('destination A', world.sinks.a, model));
    problems.push(...extraPushes('destination B', world.sinks.b, model));
    const open = await world.cluster.query<{ n: string }>(
      `SELECT count(*) AS n FROM execution WHERE status IN ('pending', 'running')`,
    );
    if (Number(open[0]!.n) > 0) problems.push(`${open[0]!.n} executions still pending or running`);
    const warmUp = rss.warmUp ?? rss.samples[0] ?? endRss;
    if (endRss - warmUp > RSS_SLACK_MIB)
      problems.push(`RSS grew from ${warmUp} MiB after warm-up to ${endRss} MiB at the end`);

    const figures = {
      seed,
      minutes,
      sourceOperations: model.operations,
      manualTriggers,
      faults: faults.counts(),
      executions: await countBy(world, 'execution'),
      tasks: await countBy(world, 'task'),
      registryRetries: await retriesOf(world),
      retriedTasks: Number(
        (
          await world.cluster.query<{ n: string }>(
            `SELECT count(*) AS n FROM task WHERE attempts > 1`,
          )
        )[0]!.n,
      ),
      failedTasks: (
        await world.cluster.query<{ reason: string; n: string }>(
          `SELECT left(reason, 200) AS reason, count(*) AS n FROM task WHERE status = 'failed'
           GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
        )
      ).map((r) => `${r.n} × ${r.reason}`),
      tagPushes: { a: tagPushCount(world.sinks.a), b: tagPushCount(world.sinks.b) },
      settleRounds: settled.rounds,
      differencesByRound: settled.differencesByRound,
      keptForWantOfTagDelete: settled.kept,
      rssMiB: {
        afterWarmUp: warmUp,
        end: endRss,
        max: Math.max(endRss, ...rss.samples),
        every10s: rss.samples,
      },
      problems,
    };
    await sourceClient.close();
    const out = join(ROOT, 'test-artifacts', 'soak', `soak-${seed}.json`);
    await mkdir(join(ROOT, 'test-artifacts', 'soak'), { recursive: true });
    await writeFile(out, JSON.stringify(figures, null, 2) + '\n');
    console.log(JSON.stringify(figures, null, 2));
    log(`figures in ${out}`);
    if (problems.length) {
      await writeFile(
        out.replace(/\.json$/, '.diagnosis.json'),
        JSON.stringify(await diagnose(world, settled.wrong), null, 2) + '\n',
      );
      log(`FAILED (seed ${seed}):\n  ${problems.slice(0, 50).join('\n  ')}`);
      return 1;
    }
    log('passed: destinations identical, nothing stuck, no tag pushed twice, RSS steady');
    return 0;
  } finally {
    await world.close();
  }
}

/** regrelay_retries_total of the steady replica (the victim's restart from zero). */
async function retriesOf(world: SoakWorld): Promise<Record<string, number>> {
  const text = await (await world.steady.api.api('/metrics')).text();
  const retries: Record<string, number> = {};
  for (const [, reason, n] of text.matchAll(/^regrelay_retries_total\{reason="([^"]+)"\} (\d+)/gm))
    retries[reason!] = Number(n);
  return retries;
}

async function countBy(world: SoakWorld, table: 'execution' | 'task') {
  const rows = await world.cluster.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM ${table} GROUP BY status ORDER BY status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    log('the soak could not run to the end');
    process.exit(2);
  },
);
