/**
 * The convergence fuzz, many seeds (the e2e suite runs a few):
 *
 *   npm run fuzz -- --seeds 200             # 200 seeds from a random first one
 *   npm run fuzz -- --seed 1234             # one seed again (a failing seed's report says how)
 *   npm run fuzz -- --seeds 20 --from 500 --steps 16 --quiet-seconds 60
 *
 * Each seed gets fresh registries, a fresh database and its own regrelay process.
 * Every seed's report (plan, run, failure) goes to test-artifacts/fuzz/seed-N.log;
 * failing seeds are listed at the end and the exit code is 1.
 * REGRELAY_TEST_DATABASE_URL points it at an existing PostgreSQL (its user must be
 * allowed to create databases); otherwise an embedded one is started.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { runSeed } from '../support/fuzz-driver.js';
import { adminQuery } from '../support/test-database.js';

// Compiled to dist/fuzz/test/fuzz/run.js; the checkout is four levels up.
const ROOT = resolve(import.meta.dirname, '../../../..');

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    seed: { type: 'string', multiple: true },
    from: { type: 'string' },
    steps: { type: 'string', default: '16' },
    'quiet-seconds': { type: 'string', default: '60' },
    'settle-seconds': { type: 'string', default: '180' },
    verbose: { type: 'boolean', default: false },
  },
});

function integer(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`--${name}: expected an integer ≥ ${min}, got ${text}`);
  return n;
}

const steps = integer('steps', values.steps, 1);
const quietMs = integer('quiet-seconds', values['quiet-seconds'], 0) * 1000;
const settleTimeoutMs = integer('settle-seconds', values['settle-seconds'], 10) * 1000;
const seeds = values.seed?.length
  ? values.seed.map((s) => integer('seed', s, 0))
  : (() => {
      const count = integer('seeds', values.seeds ?? '10', 1);
      const from =
        values.from !== undefined ? integer('from', values.from, 0) : randomInt(1, 1_000_000_000);
      return Array.from({ length: count }, (_, i) => from + i);
    })();

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<number> {
  const { adminUrl, stop } = await database();
  const artifacts = join(ROOT, 'test-artifacts/fuzz');
  await mkdir(artifacts, { recursive: true });
  log(
    `${seeds.length} seed(s) from ${seeds[0]}, ${steps} steps each, ${quietMs / 1000} s quiet; reports in ${artifacts}`,
  );
  const failed: { seed: number; cause: string }[] = [];
  let passed = 0;
  try {
    for (const [i, seed] of seeds.entries()) {
      const name = `regrelay_fuzz_${seed}_${randomBytes(3).toString('hex')}`;
      await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const result = await runSeed({
        seed,
        steps,
        quietMs,
        settleTimeoutMs,
        databaseUrl: url.toString(),
        main: join(ROOT, 'dist/main.js'),
        log: values.verbose ? (line) => log(`  seed ${seed} ${line}`) : undefined,
      }).finally(() => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await writeFile(join(artifacts, `seed-${seed}.log`), result.report + '\n');
      if (result.ok) passed++;
      else failed.push({ seed, cause: causeOf(result.report) });
      log(
        `seed ${seed} (${i + 1}/${seeds.length}): ${result.ok ? 'converged' : 'FAILED'} in ${result.seconds.toFixed(0)} s`,
      );
      if (!result.ok) console.log(result.report);
    }
  } finally {
    await stop();
  }
  log(`${passed}/${seeds.length} seeds converged`);
  if (failed.length) {
    log(`failing seeds: ${failed.map((f) => f.seed).join(', ')}`);
    for (const f of failed)
      log(`  seed ${f.seed}: ${f.cause} (npm run fuzz -- --seed ${f.seed} --steps ${steps})`);
  }
  return failed.length ? 1 : 0;
}

/** The first line of the failure, for the summary. */
function causeOf(report: string): string {
  const line = report.split('\n').find((l) => l.startsWith('failure: '));
  return (line ?? 'failed').replace(/^failure: (Error: )?/, '').slice(0, 300);
}

async function database(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  const external = process.env.REGRELAY_TEST_DATABASE_URL;
  if (external) return { adminUrl: external, stop: async () => undefined };
  const root = await mkdtemp(join(tmpdir(), 'regrelay-fuzz-pg-'));
  // mkdtemp makes it 0700; as root, PostgreSQL runs as "postgres" and must enter it.
  await chmod(root, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(root, 'data'), database: 'postgres' });
  return {
    adminUrl: server.adminUrl,
    stop: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

process.exitCode = await main();
