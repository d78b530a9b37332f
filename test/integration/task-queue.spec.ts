import 'reflect-metadata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { CLAIM_SQL, TaskQueue, type Lease } from '../../src/replication/tasks/task-queue.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The queue's SQL against a real PostgreSQL, without the rest of the app. */
describe('TaskQueue', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let queue: TaskQueue;
  const worker: Lease = { owner: 'worker-a', seconds: 30 };
  const other: Lease = { owner: 'worker-b', seconds: 30 };
  let registryId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 4 }),
    ).initialize();
    queue = new TaskQueue(dataSource);
    [{ id: registryId }] = await dataSource.query(
      `INSERT INTO registry (name, url) VALUES ('r', 'http://127.0.0.1:1') RETURNING id`,
    );
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM execution');
  });

  /** A running execution (of its own owner) with `n` pending tasks. */
  async function executionWithTasks(
    name: string,
    n: number,
    maxConcurrency: number | null,
    settings: { override?: boolean; bandwidthLimit?: number } = {},
  ): Promise<{ ownerId: string; executionId: string }> {
    const ownerId = randomUUID();
    const [{ id: executionId }] = await dataSource.query(
      `INSERT INTO execution (owner_kind, owner_id, trigger, status, planned, max_concurrency, override, bandwidth_limit)
       VALUES ('policy', $1, 'manual', 'running', true, $2, $3, $4) RETURNING id`,
      [ownerId, maxConcurrency, settings.override ?? false, settings.bandwidthLimit ?? null],
    );
    for (let i = 0; i < n; i++) await addTask(executionId, { tag: `${name}-${i}` });
    return { ownerId, executionId };
  }

  async function addTask(
    executionId: string,
    t: { tag: string; digest?: string; source?: string; destination?: string; notBefore?: Date },
  ): Promise<void> {
    await dataSource.query(
      `INSERT INTO task (execution_id, operation, source_registry_id, source_repository, destination_registry_id,
                         destination_repository, tag, digest, status, not_before)
       VALUES ($1, 'copy', $2, 'repo', $3, 'repo', $4, $5, 'pending', $6)`,
      [
        executionId,
        t.source ?? registryId,
        t.destination ?? registryId,
        t.tag,
        t.digest ?? 'sha256:x',
        t.notBefore ?? null,
      ],
    );
  }

  async function registry(name: string): Promise<string> {
    const [{ id }] = await dataSource.query(
      `INSERT INTO registry (name, url) VALUES ($1, 'http://127.0.0.1:1') RETURNING id`,
      [name],
    );
    return id;
  }

  it("keeps within an execution's maxConcurrency across workers", async () => {
    await executionWithTasks('limited', 5, 2);
    expect(await queue.claim(10, worker)).toHaveLength(2);
    expect(await queue.claim(10, other)).toHaveLength(0);
    const [first] = await dataSource.query(`SELECT id FROM task WHERE status = 'running' LIMIT 1`);
    expect(await queue.finish(first.id, worker.owner, { status: 'succeeded' })).toBe(true);
    const next = await queue.claim(10, other);
    expect(next).toHaveLength(1);
    expect(next[0]!.leaseOwner).toBe('worker-b');
    expect(next[0]!.attempts).toBe(1);
  });

  it('never hands one task to two workers claiming at the same time', async () => {
    await executionWithTasks('contended', 40, null);
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => queue.claim(5, { owner: `w${i}`, seconds: 30 })),
    );
    const ids = claims.flat().map((t) => t.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('shares claims round-robin across executions, oldest first within each', async () => {
    await executionWithTasks('first', 3, null);
    await executionWithTasks('second', 3, null);
    const claimed = await queue.claim(4, worker);
    // Taking in plain insertion order would give first-0..2 and second-0.
    expect(claimed.map((t) => t.tag).sort()).toEqual([
      'first-0',
      'first-1',
      'second-0',
      'second-1',
    ]);
  });

  it('claims the same artifact for the other destinations with it, so fan-out reads once', async () => {
    const { executionId } = await executionWithTasks('fan-out', 0, null);
    const destinations = [await registry('d1'), await registry('d2'), await registry('d3')];
    for (const digest of ['sha256:a', 'sha256:b']) {
      for (const [i, destination] of destinations.entries()) {
        // The third destination's copy of b is backing off: not due, so not claimed.
        await addTask(executionId, {
          tag: digest,
          digest,
          destination,
          notBefore: i === 2 && digest === 'sha256:b' ? new Date(Date.now() + 60_000) : undefined,
        });
      }
    }
    const first = await queue.claim(1, worker);
    expect(first.map((t) => t.digest)).toEqual(['sha256:a', 'sha256:a', 'sha256:a']);
    expect(new Set(first.map((t) => t.destinationRegistryId)).size).toBe(3);
    expect(first.map((t) => t.fanOut)).toEqual([3, 3, 3]);
    const second = await queue.claim(1, worker);
    expect(second.map((t) => t.digest)).toEqual(['sha256:b', 'sha256:b']);
    expect(second.map((t) => t.fanOut)).toEqual([2, 2]);
    expect(await queue.claim(1, worker)).toHaveLength(0);
  });

  it('does not take a copy of the same digest from another source for a sibling', async () => {
    const { executionId } = await executionWithTasks('two-sources', 0, null);
    const [other, d1, d2] = [await registry('other'), await registry('e1'), await registry('e2')];
    await addTask(executionId, { tag: 'a', digest: 'sha256:same', destination: d1 });
    await addTask(executionId, { tag: 'b', digest: 'sha256:same', destination: d2, source: other });
    const first = await queue.claim(1, worker);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ sourceRegistryId: registryId, fanOut: 1 });
    expect(await queue.claim(1, worker)).toMatchObject([{ sourceRegistryId: other, fanOut: 1 }]);
  });

  it('hands each task its owner and the settings its execution has at the moment of the claim', async () => {
    const { ownerId, executionId } = await executionWithTasks('settings', 2, null, {
      override: true,
      bandwidthLimit: 1000,
    });
    const [task] = await queue.claim(1, worker);
    expect(task).toMatchObject({
      owner: { kind: 'policy', id: ownerId },
      settings: { override: true, bandwidthLimit: 1000 },
    });
    await dataSource.query(
      'UPDATE execution SET override = false, bandwidth_limit = NULL WHERE id = $1',
      [executionId],
    );
    expect(await queue.claim(1, worker)).toMatchObject([
      { settings: { override: false, bandwidthLimit: null } },
    ]);
  });

  it('gives a task back when its lease expired, and the late worker can no longer finish it', async () => {
    await executionWithTasks('leased', 1, null);
    const [task] = await queue.claim(1, { owner: 'dead-worker', seconds: 30 });
    await dataSource.query(
      `UPDATE task SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [task!.id],
    );
    const [again] = await queue.claim(1, worker);
    expect(again!.id).toBe(task!.id);
    expect(again!.attempts).toBe(2);
    expect(await queue.finish(task!.id, 'dead-worker', { status: 'succeeded' })).toBe(false);
    expect(await queue.renew([task!.id], { owner: 'dead-worker', seconds: 30 })).toEqual({
      stopping: [],
      lost: [task!.id],
    });
    expect(await queue.finish(task!.id, worker.owner, { status: 'succeeded' })).toBe(true);
  });

  it('reports stopping executions on renewal and skips their tasks when claiming', async () => {
    const { executionId } = await executionWithTasks('stopping', 2, null);
    const [task] = await queue.claim(1, worker);
    await dataSource.query('UPDATE execution SET stop_requested = true WHERE id = $1', [
      executionId,
    ]);
    expect(await queue.renew([task!.id], worker)).toEqual({
      stopping: [task!.id],
      lost: [],
    });
    expect(await queue.claim(5, worker)).toHaveLength(0);
  });

  it('holds a retried task back until its not-before time', async () => {
    await executionWithTasks('retry', 1, null);
    const [task] = await queue.claim(1, worker);
    expect(await queue.retryLater(task!.id, worker.owner, 'registry said 503', 60_000)).toBe(true);
    expect(await queue.claim(1, worker)).toHaveLength(0);
    await dataSource.query(
      `UPDATE task SET not_before = now() - interval '1 second' WHERE id = $1`,
      [task!.id],
    );
    const [again] = await queue.claim(1, worker);
    expect(again).toMatchObject({ id: task!.id, attempts: 2, reason: 'registry said 503' });
    expect(await queue.depth()).toBe(0);
  });

  it('releases a task at once with its attempt given back, and only for the lease holder', async () => {
    await executionWithTasks('released', 1, null);
    const [task] = await queue.claim(1, worker);
    expect(task!.attempts).toBe(1);
    expect(await queue.release(task!.id, other.owner, 'not mine')).toBe(false);
    expect(await queue.release(task!.id, worker.owner, 'returned to the queue at shutdown')).toBe(
      true,
    );
    const [again] = await queue.claim(1, other);
    expect(again).toMatchObject({
      id: task!.id,
      attempts: 1,
      reason: 'returned to the queue at shutdown',
    });
  });

  it('keeps the lease owner on a finished task: it says who ran it', async () => {
    await executionWithTasks('ran-by', 1, null);
    const [task] = await queue.claim(1, worker);
    await queue.finish(task!.id, worker.owner, { status: 'succeeded' });
    const [row] = await dataSource.query(
      'SELECT status, lease_owner, lease_expires_at FROM task WHERE id = $1',
      [task!.id],
    );
    expect(row).toEqual({ status: 'succeeded', lease_owner: 'worker-a', lease_expires_at: null });
    expect(await queue.claim(1, other)).toHaveLength(0);
  });

  it('does not claim again a task this process still runs, even when its lease ran out', async () => {
    await executionWithTasks('still-mine', 2, null);
    const [task] = await queue.claim(1, worker);
    // The database was away longer than the lease: nobody renewed it.
    await dataSource.query(
      `UPDATE task SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [task!.id],
    );
    const next = await queue.claim(5, worker, [task!.id]);
    expect(next.map((t) => t.id)).not.toContain(task!.id);
    expect(next).toHaveLength(1);
    // Another process may take it, and the renewal then tells the first one it is lost.
    expect((await queue.claim(5, other)).map((t) => t.id)).toEqual([task!.id]);
  });

  it("takes over at once only the leases of the same lineage's other instances", async () => {
    await executionWithTasks('lineage', 4, null);
    const owners = [
      'embedded-abc/host:10:dead', // a dead predecessor on this data directory
      'embedded-abc/host:11:self', // this instance
      'host:12:shared', // an instance on a shared database
      'embedded-def/host:13:elsewhere', // another data directory's instance
    ];
    const claimed = [];
    for (const owner of owners) claimed.push(...(await queue.claim(1, { owner, seconds: 600 })));
    expect(await queue.takeOverFrom('embedded-abc/', 'embedded-abc/host:11:self')).toBe(1);
    const taken = await queue.claim(10, other);
    expect(taken.map((t) => t.id)).toEqual([claimed[0]!.id]);
    expect(taken[0]!.attempts).toBe(2);
  });

  it('claims from a large execution without walking its tasks once per pending task', async () => {
    const { executionId } = await executionWithTasks('large', 0, null);
    const tasks = 2000;
    await dataSource.query(
      `INSERT INTO task (execution_id, operation, source_registry_id, source_repository, destination_registry_id,
                         destination_repository, tag, digest, status)
       SELECT $1, 'copy', $2, 'repo', $2, 'repo', 'large-' || i, 'sha256:' || md5(i::text) || md5(i::text),
              CASE WHEN i <= $3 * 0.4 THEN 'succeeded' ELSE 'pending' END
       FROM generate_series(1, $3) AS i`,
      [executionId, registryId, tasks],
    );
    // Statistics from when the table was nearly empty (a fresh install, or the last
    // analyze before a large execution was planned): the planner then drove the
    // siblings' join from every pending task, each walking the execution's tasks —
    // 84,000 buffers here; in the many-small bench 56 ms a claim, which capped the
    // copy at ~20 tags/s. Buffers touched are a count, not a timing.
    await dataSource.query(
      `SELECT pg_restore_relation_stats('schemaname', 'public', 'relname', 'task',
                                        'relpages', 1::integer, 'reltuples', 1::real)`,
    );
    // EXPLAIN ANALYZE runs the claim: in a transaction rolled back, so nothing is claimed.
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    const [row] = await runner
      .query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${CLAIM_SQL}`, [8, worker.owner, 30, []])
      .finally(() => runner.rollbackTransaction().then(() => runner.release()));
    const plan = (row as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!;
    // Driven from the chosen tasks it touches ~650.
    expect(maxBuffers(plan.Plan)).toBeLessThan(5000);
    expect(await queue.claim(8, worker)).toHaveLength(8);
  });

  it('looks for fan-out siblings once per chosen task, whatever the planner believes', async () => {
    // Statistics of an empty table, then 250 tasks: in the many-small bench the planner
    // then scanned every task and looked for siblings of each, 40 ms a claim. The claim
    // runs prepared (custom plans first, then perhaps a generic one): both are checked.
    await dataSource.query('DELETE FROM task');
    await dataSource.query('ANALYZE task');
    const { executionId } = await executionWithTasks('fresh', 0, null);
    await dataSource.query(
      `INSERT INTO task (execution_id, operation, source_registry_id, source_repository, destination_registry_id,
                         destination_repository, tag, digest, status)
       SELECT $1, 'copy', $2, 'repo', $2, 'repo', 'fresh-' || i, 'sha256:' || md5(i::text) || md5(i::text),
              CASE WHEN i <= 100 THEN 'succeeded' ELSE 'pending' END
       FROM generate_series(1, 250) AS i`,
      [executionId, registryId],
    );
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query(`PREPARE claim_plan (integer, text, float8, uuid[]) AS ${CLAIM_SQL}`);
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await runner.query(`SET plan_cache_mode = ${mode}`);
        // EXPLAIN ANALYZE runs the claim: in a transaction rolled back, so nothing is claimed.
        await runner.startTransaction();
        const [row] = await runner
          .query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim_plan(8, 'w', 30, ARRAY[]::uuid[])`)
          .finally(() => runner.rollbackTransaction());
        const plan = (row as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
        const siblings = plan.Plans?.find((p) => p['Subplan Name'] === 'CTE siblings');
        expect({ mode, loops: maxLoops(siblings!) }).toEqual({ mode, loops: 8 });
      }
    } finally {
      await runner.query('DEALLOCATE claim_plan').finally(() => runner.release());
    }
    expect(await queue.claim(8, worker)).toHaveLength(8);
  });
});

interface PlanNode {
  'Subplan Name'?: string;
  'Actual Loops'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** The most buffers any node of a plan (its root includes its children's) touched. */
function maxBuffers(node: PlanNode): number {
  const own = (node['Shared Hit Blocks'] ?? 0) + (node['Shared Read Blocks'] ?? 0);
  return Math.max(own, ...(node.Plans ?? []).map(maxBuffers));
}

/** The most times any node of a plan ran. */
function maxLoops(node: PlanNode): number {
  return Math.max(node['Actual Loops'] ?? 0, ...(node.Plans ?? []).map(maxLoops));
}
