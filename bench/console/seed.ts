import pg from 'pg';

export interface SeedSizes {
  executions: number;
  tasks: number;
  policies: number;
  /** A pipeline's history, over this many repositories (seed-promotions.ts). */
  promotions: number;
  pipelineRepositories: number;
}

export const FULL: SeedSizes = {
  executions: 10_000,
  tasks: 100_000,
  policies: 20,
  promotions: 10_000,
  pipelineRepositories: 100,
};
export const SMOKE: SeedSizes = {
  executions: 500,
  tasks: 5_000,
  policies: 5,
  promotions: 200,
  pipelineRepositories: 10,
};

export interface Seeded {
  /** The newest execution, holding half of all tasks. */
  bigExecutionId: string;
  bigExecutionTasks: number;
}

/**
 * Fills the database with history as a busy installation would have it: finished
 * executions a minute apart, most succeeded, some failed or stopped, each with a few
 * tasks, and the newest one huge (half of all tasks). Written with SQL in bulk (the
 * API makes executions only by running them); the app runs with no workers, so
 * nothing touches these rows while they are measured.
 */
export async function seedHistory(
  databaseUrl: string,
  policyIds: string[],
  sourceRegistryId: string,
  destinationIds: string[],
  sizes: SeedSizes,
): Promise<Seeded> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const others = sizes.executions - 1;
    const perExecution = Math.floor(sizes.tasks / 2 / others);
    const big = sizes.tasks - perExecution * others;
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO execution (owner_kind, owner_id, trigger, status, planned, message, created_at, started_at, ended_at)
       SELECT 'policy', ($1::uuid[])[1 + i % cardinality($1::uuid[])], CASE WHEN i % 3 = 0 THEN 'event' ELSE 'cron' END,
              s.status, true,
              CASE s.status WHEN 'failed' THEN 'Some tasks failed; see the failed tasks for each error'
                            WHEN 'stopped' THEN 'Stopped by an operator' END,
              now() - i * interval '1 minute' - interval '1 hour',
              now() - i * interval '1 minute' - interval '1 hour' + interval '1 second',
              now() - i * interval '1 minute' - interval '1 hour' + interval '40 seconds'
       FROM generate_series(1, $2::int) i,
            LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'failed' WHEN i % 37 = 0 THEN 'stopped' ELSE 'succeeded' END AS status) s`,
      [policyIds, others],
    );
    const [bigRow] = (
      await client.query<{ id: string }>(
        `INSERT INTO execution (owner_kind, owner_id, trigger, status, planned, message, created_at, started_at, ended_at)
         VALUES ('policy', $1, 'manual', 'failed', true, $2, now() - interval '30 minutes', now() - interval '30 minutes', now() - interval '5 minutes')
         RETURNING id`,
        [
          policyIds[0],
          `${Math.round(big / 50)} of ${big} tasks failed; see the failed tasks for each error`,
        ],
      )
    ).rows;
    // Each execution's tasks: n-th task copies repository team-<n % 400>/app, tag v<n>.
    const tasks = `
      INSERT INTO task (execution_id, source_registry_id, operation, destination_registry_id, source_repository,
                        destination_repository, tag, digest, status, reason, attempts, bytes_total, bytes_done,
                        created_at, started_at, ended_at)
      SELECT e.id, $5::uuid, 'copy', ($2::uuid[])[1 + n % cardinality($2::uuid[])],
             'team-' || (n % 400) || '/app', 'mirror/team-' || (n % 400) || '/app', 'v' || n,
             'sha256:' || encode(sha256(convert_to(e.id::text || n, 'UTF8')), 'hex'),
             st.status,
             CASE st.status WHEN 'failed' THEN 'east team-' || (n % 400) || '/app:v' || n ||
                  ': the registry answered 503 Service Unavailable [HTTP 503]. A network or server failure that may pass; it was retried. Check the registry health.'
                  WHEN 'skipped' THEN 'already present' END,
             CASE st.status WHEN 'failed' THEN 5 ELSE 1 END,
             (n % 50 + 1) * 1048576, CASE st.status WHEN 'succeeded' THEN (n % 50 + 1) * 1048576 ELSE 0 END,
             e.created_at, e.started_at, e.ended_at
      FROM execution e, generate_series(1, $3::int) n,
           LATERAL (SELECT CASE WHEN e.status = 'failed' AND n % $4::int = 0 THEN 'failed'
                                WHEN n % 10 = 0 THEN 'skipped' ELSE 'succeeded' END AS status) st
      WHERE e.id = ANY($1::uuid[])`;
    const small = (
      await client.query<{ id: string }>(`SELECT id FROM execution WHERE id <> $1`, [bigRow!.id])
    ).rows.map((r) => r.id);
    await client.query(tasks, [
      small,
      destinationIds,
      perExecution,
      Math.max(1, Math.floor(perExecution / 2)),
      sourceRegistryId,
    ]);
    await client.query(tasks, [[bigRow!.id], destinationIds, big, 50, sourceRegistryId]);
    await client.query('COMMIT');
    await client.query('ANALYZE execution');
    await client.query('ANALYZE task');
    const counts = await client.query<{ executions: string; tasks: string }>(
      'SELECT (SELECT count(*) FROM execution) AS executions, (SELECT count(*) FROM task) AS tasks',
    );
    const row = counts.rows[0]!;
    if (Number(row.executions) !== sizes.executions || Number(row.tasks) !== sizes.tasks) {
      throw new Error(
        `seeded ${row.executions} executions and ${row.tasks} tasks, not ${sizes.executions} and ${sizes.tasks}`,
      );
    }
    return { bigExecutionId: bigRow!.id, bigExecutionTasks: big };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
