import { randomBytes } from 'node:crypto';
import { generateToken } from '../../src/auth/token-format.js';
import type { TaskPageDto } from '../../src/replication/dto/execution.dto.js';
import { startPostgresCluster } from '../../test/support/postgres-cluster.js';
import { startRegistry } from '../../test/support/registry.js';
import { distinctImages, pushImages, verifyCopy } from '../lib/datasets.js';
import {
  alternate,
  withDestinations,
  type BenchContext,
  type Measurement,
  type MetricSpec,
  type RunFigures,
} from '../lib/harness.js';
import { CpuMeter, descendantsOf } from '../lib/proc.js';
import { RegrelayUnderTest } from '../lib/regrelay.js';
import { withRunPolicy } from '../runners/regrelay.js';

/** The many-small shape: `repositories` × `tagsPerRepository`, `layers` distinct layers each. */
export interface ReplicasSize {
  repositories: number;
  tagsPerRepository: number;
  layers: number;
  layerSize: number;
}

/** What one replica runs at once: REGRELAY_WORKERS, as the bench passes it on, or its default. */
const WORKERS = Number(process.env.REGRELAY_WORKERS ?? 8);
const CPU = { unit: 'CPU s', better: 'lower' } as const;
const TASKS = { unit: 'tasks', better: 'higher' } as const;
const METRICS: Record<string, MetricSpec> = {
  tagsPerSecond: { unit: 'tags/s', better: 'higher' },
  tasksReplica1: TASKS,
  tasksReplica2: TASKS,
  cpuReplica1: CPU,
  cpuReplica2: CPU,
  cpuSharedPostgres: CPU,
  cpuRegistries: CPU,
};

/**
 * Two regrelay processes on one PostgreSQL against one: the many-small shape copied
 * to a fresh, empty destination by a manual policy triggered through the first
 * replica's API, whose tasks every running replica's workers take. The server is
 * Debian's PostgreSQL (its own cluster, as in the replicas e2e test), both processes
 * default settings with a shared key and admin token. For "1 replica" the second
 * process is stopped (SIGTERM: it holds nothing between runs) and it is started
 * again for "2 replicas", outside the timed part and warmed by an uncounted copy:
 * one replica is then really one process on the database. Per run: tags/s, the tasks
 * each replica finished (the lease owner recorded on each task row), and the CPU
 * seconds of each replica, of the whole PostgreSQL server and of both registries.
 */
export async function replicasScenario(
  ctx: BenchContext,
  main: string,
  size: ReplicasSize,
): Promise<{ measurements: Measurement[]; server: string }> {
  const cluster = await startPostgresCluster();
  const source = await startRegistry();
  const database = { url: cluster.url, secretKey: randomBytes(32).toString('base64') };
  const token = generateToken();
  const start = () => RegrelayUnderTest.start(main, { database, token });
  const replicas: RegrelayUnderTest[] = [];
  try {
    // One after the other: the first applies the migrations.
    replicas.push(await start());
    replicas.push(await start());
    const [first] = replicas as [RegrelayUnderTest];
    const [row] = await cluster.query<{ server_version: string }>('SHOW server_version');
    const dataset = await pushImages(source, distinctImages({ prefix: 'replicas', ...size }));
    const sourceId = await first.addRegistry('bench-replicas-source', source);
    const postmaster = await cluster.postmasterPid();
    const tags = dataset.images.length;

    /** One copy to a fresh destination by the replicas running now. */
    const copy = (settings: { maxConcurrency?: number } = {}): Promise<RunFigures> =>
      withDestinations(1, ([destination]) =>
        withRunPolicy(
          first,
          sourceId,
          [destination!],
          undefined,
          async (policyId) => {
            const meter = new CpuMeter(async () => ({
              replica1: [replicas[0]!.pid],
              replica2: replicas[1] ? [replicas[1].pid] : [],
              postgres: [postmaster, ...(await descendantsOf(postmaster))],
              registries: [source.pid, destination!.pid],
            }));
            await meter.start();
            const { seconds, execution } = await first.run(policyId, ctx.runTimeoutMs);
            const cpu = await meter.stop();
            await verifyCopy(destination!, dataset);
            const split = await tasksByReplica(first, execution.id, replicas);
            const figures: RunFigures = {
              tagsPerSecond: tags / seconds,
              tasksReplica1: split[0]!,
              cpuReplica1: cpu.replica1,
              cpuSharedPostgres: cpu.postgres,
              cpuRegistries: cpu.registries,
            };
            if (replicas[1]) {
              figures.tasksReplica2 = split[1]!;
              figures.cpuReplica2 = cpu.replica2;
            }
            return figures;
          },
          settings,
        ),
      );
    // Not counted: the first copy on the fresh database cost PostgreSQL about three
    // times the CPU of every later one, and a just-started replica is cold (its JIT,
    // its connections to the registries) where a deployed one has been running.
    const warmUp = async () => {
      const { tagsPerSecond } = await copy();
      ctx.log(
        `  replicas warm-up (${replicas.length} replicas, not counted): ${tagsPerSecond!.toFixed(2)} tags/s`,
      );
    };
    await warmUp();
    const measurements = await alternate(
      ctx,
      'replicas',
      ['1 replica', '2 replicas', '2 replicas, capped'],
      METRICS,
      async (tool) => {
        const wanted = tool === '1 replica' ? 1 : 2;
        while (replicas.length > wanted) await replicas.pop()!.stop();
        if (replicas.length < wanted) {
          while (replicas.length < wanted) replicas.push(await start());
          await warmUp();
        }
        // Two processes run twice the workers of one; capped by the policy (the claim
        // holds it across replicas), they run what one does, and the difference left
        // is what sharing the queue costs.
        return copy(tool === '2 replicas, capped' ? { maxConcurrency: WORKERS } : {});
      },
    );
    return {
      measurements,
      server: `Debian PostgreSQL ${row?.server_version ?? '(version unknown)'}`,
    };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await source.destroy();
    await cluster.destroy();
  }
}

/**
 * How many of the execution's tasks each replica finished: the task's lease owner
 * (`worker`, host:pid:random) names the process that recorded its outcome. Every
 * task must have succeeded on one of `replicas`.
 */
async function tasksByReplica(
  api: RegrelayUnderTest,
  executionId: string,
  replicas: RegrelayUnderTest[],
): Promise<number[]> {
  const counts = replicas.map(() => 0);
  for (let offset = 0, total = 1; offset < total; offset += 500) {
    const page = await api.call<TaskPageDto>(
      'GET',
      `/executions/${executionId}/tasks?limit=500&offset=${offset}`,
    );
    total = page.total;
    if (!page.items.length) break;
    for (const task of page.items) {
      const pid = Number(task.worker?.split(':').at(-2));
      const by = replicas.findIndex((r) => r.pid === pid);
      if (task.status !== 'succeeded' || by < 0)
        throw new Error(`task ${task.id} is ${task.status}, run by ${task.worker ?? 'nobody'}`);
      counts[by]!++;
    }
  }
  return counts;
}
