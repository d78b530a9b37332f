/**
 * How long each console page takes to show its first content, in Debian's Chromium,
 * with a large history in the database.
 *
 *   npm run bench:console           # 10,000 executions, 100,000 tasks, 5 loads per page
 *   npm run bench:console -- --smoke  # 500 executions, 5,000 tasks, 2 loads (keeps it working)
 *
 * regrelay runs as `node dist/main.js` over its own PostgreSQL (embedded, in a temp
 * directory) with no workers, so the seeded history stays as seeded. Nothing leaves
 * 127.0.0.1. Prints a Markdown table and writes bench/results/console.json (full run).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateToken } from '../../src/auth/token-format.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { launchBrowser, newContext } from '../../test/browser/support/browser.js';
import { startRegrelayProcess } from '../../test/support/regrelay-process.js';
import { timePage, type PageTarget, type PageTiming } from './measure.js';
import { seedPromotions, type SeedStage } from './seed-promotions.js';
import { FULL, seedHistory, SMOKE } from './seed.js';

// Compiled to dist/bench/bench/console/run.js; the checkout is four levels up.
const ROOT = resolve(import.meta.dirname, '../../../..');
const smoke = process.argv.includes('--smoke');
const sizes = smoke ? SMOKE : FULL;
const rounds = smoke ? 2 : 5;
const log = (message: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'regrelay-console-bench-'));
  await chmod(work, 0o755); // embedded PostgreSQL runs as "postgres" when we are root
  const postgres = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), database: 'regrelay' });
  const token = generateToken();
  const app = await startRegrelayProcess(
    {
      DATABASE_URL: postgres.url,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: token,
      REGRELAY_WORKERS: '0',
      REGRELAY_EXECUTION_RETENTION_COUNT: '100000',
      REGRELAY_EXECUTION_RETENTION_DAYS: '3650',
      LOG_LEVEL: 'warn',
    },
    join(ROOT, 'dist/main.js'),
  );
  const browser = await launchBrowser();
  try {
    await app.waitReady(120_000);
    const call = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${app.url}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    // Registries at addresses nothing answers: the pages measured never call them.
    const registries: string[] = [];
    for (const name of ['hq', 'east', 'west']) {
      registries.push(
        (await call<{ id: string }>('/registries', { name, url: 'http://127.0.0.1:9' })).id,
      );
    }
    const policies: string[] = [];
    for (let i = 0; i < sizes.policies; i++) {
      const { id } = await call<{ id: string }>('/policies', {
        name: `team-${String(i).padStart(2, '0')}`,
        sourceRegistryId: registries[0],
        destinations: [{ registryId: registries[1] }, { registryId: registries[2] }],
        filters: { repositories: [`team-${i}/**`] },
        reconcile: { cron: null },
      });
      policies.push(id);
    }
    const started = performance.now();
    const seeded = await seedHistory(
      postgres.url,
      policies,
      registries[0]!,
      registries.slice(1),
      sizes,
    );
    // A tree over the same registries and a pipeline, made after the seeded history
    // (the tree's first sync is an execution of its own).
    const tree = await call<{ id: string }>('/topologies', {
      name: 'hq-tree',
      kind: 'tree',
      nodes: [
        { registryId: registries[0], parent: null },
        { registryId: registries[1], parent: registries[0] },
        { registryId: registries[2], parent: registries[0] },
      ],
    });
    const pipeline = await call<{ id: string; stages: SeedStage[] }>('/pipelines', {
      name: 'app-release',
      stages: [
        { name: 'dev', registryId: registries[0] },
        { name: 'staging', registryId: registries[1], repository: 'staging/{repository}' },
        {
          name: 'prod',
          registryId: registries[2],
          repository: 'prod/{repository}',
          gates: [{ type: 'approval', required: 1 }],
        },
      ],
    });
    const promotions = await seedPromotions(
      postgres.url,
      pipeline.id,
      pipeline.stages,
      sizes.promotions,
      sizes.pipelineRepositories,
    );
    log(
      `seeded ${sizes.executions} executions, ${sizes.tasks} tasks and ${sizes.promotions} promotions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const context = await newContext(browser, undefined, app.url);
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('API token').fill(token);
    await page.keyboard.press('Enter');
    await page.locator('[data-page="overview"][data-ready="true"]').waitFor();

    const lastOffset = Math.floor((sizes.executions - 1) / 50) * 50;
    const lastTasks = Math.floor((seeded.bigExecutionTasks - 1) / 50) * 50;
    const lastHistory = Math.floor((sizes.promotions - 1) / 20) * 20;
    const lastRepositories = Math.floor((sizes.pipelineRepositories - 1) / 25) * 25;
    const targets: PageTarget[] = [
      { label: 'Overview', path: '/', name: 'overview' },
      { label: 'Registries', path: '/registries', name: 'registries' },
      { label: 'Policies (last execution of each)', path: '/policies', name: 'policies' },
      { label: 'Policy (with drift)', path: `/policies/${policies[0]}`, name: 'policy' },
      { label: 'New policy form', path: '/policies/new', name: 'policy-form' },
      { label: 'Executions, first page', path: '/executions', name: 'executions' },
      {
        label: 'Executions, last page',
        path: `/executions?offset=${lastOffset}`,
        name: 'executions',
      },
      { label: 'Executions, failed only', path: '/executions?status=failed', name: 'executions' },
      {
        label: `Execution with ${seeded.bigExecutionTasks.toLocaleString('en-US')} tasks`,
        path: `/executions/${seeded.bigExecutionId}`,
        name: 'execution',
      },
      {
        label: '… its last task page',
        path: `/executions/${seeded.bigExecutionId}?offset=${lastTasks}`,
        name: 'execution',
      },
      {
        label: '… its failed tasks',
        path: `/executions/${seeded.bigExecutionId}?status=failed`,
        name: 'execution',
      },
      { label: 'Topologies (state of each)', path: '/topologies', name: 'topologies' },
      { label: 'Topology (a tree)', path: `/topologies/${tree.id}`, name: 'topology' },
      { label: 'Pipelines', path: '/pipelines', name: 'pipelines' },
      {
        label: `Pipeline with ${sizes.promotions.toLocaleString('en-US')} promotions`,
        path: `/pipelines/${pipeline.id}`,
        name: 'pipeline',
      },
      {
        label: '… its last repositories and history page',
        path: `/pipelines/${pipeline.id}?offset=${lastRepositories}&historyOffset=${lastHistory}`,
        name: 'pipeline',
      },
      {
        label: 'Promotion (waiting)',
        path: `/promotions/${promotions.waitingId}`,
        name: 'promotion',
      },
    ];
    const timings: PageTiming[] = [];
    for (const target of targets) {
      const timing = await timePage(page, target, rounds);
      timings.push(timing);
      log(`${target.label}: ${timing.coldMs} ms cold, ${timing.warmMedianMs} ms warm`);
    }
    await context.close();

    const assets = await assetSizes(join(ROOT, 'dist/web'));
    const report = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      browser: `Chromium ${browser.version()}`,
      // The machine may be shared: how busy it was while the pages were timed.
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
      data: { ...sizes, bigExecutionTasks: seeded.bigExecutionTasks },
      rounds,
      assets,
      pages: timings,
    };
    console.log('\n' + markdown(report));
    if (!smoke)
      await writeFile(
        join(ROOT, 'bench/results/console.json'),
        JSON.stringify(report, null, 2) + '\n',
      );
  } finally {
    await browser.close();
    await app.stop('SIGTERM');
    await postgres.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function assetSizes(
  dir: string,
): Promise<{ file: string; bytes: number; gzipBytes: number }[]> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) =>
    f.isFile(),
  );
  const out = [];
  for (const f of files) {
    const body = await readFile(join(f.parentPath, f.name));
    out.push({
      file: join(f.parentPath, f.name).slice(dir.length + 1),
      bytes: body.length,
      gzipBytes: gzipSync(body, { level: 9 }).length,
    });
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

function markdown(r: {
  pages: PageTiming[];
  assets: { file: string; bytes: number; gzipBytes: number }[];
  rounds: number;
}): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const lines = [
    '| page | first content, cold cache | warm, median | warm, slowest | API calls | largest answer |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...r.pages.map(
      (p) =>
        `| ${p.label} | ${p.coldMs} ms | ${p.warmMedianMs} ms | ${p.warmMaxMs} ms | ${p.apiCalls} | ${kb(p.largestApiBytes)} |`,
    ),
    '',
    '| asset | size | gzip |',
    '| --- | ---: | ---: |',
    ...r.assets.map(
      (a) =>
        `| ${a.file.replace(/-[A-Za-z0-9_-]{8}\./, '-[hash].')} | ${kb(a.bytes)} | ${kb(a.gzipBytes)} |`,
    ),
    `| all | ${kb(r.assets.reduce((n, a) => n + a.bytes, 0))} | ${kb(r.assets.reduce((n, a) => n + a.gzipBytes, 0))} |`,
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
