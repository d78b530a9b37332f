import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows, queryUnderLock, type PreparedStatement } from '../../database/sql.js';
import { ownerOfRow } from '../executions/execution.entity.js';
import type { ExecutionOwner, ExecutionSettings } from '../owners/execution-owner.js';
import { TaskEntity, type TaskStatus } from './task.entity.js';

/** Serialises claims across replicas so per-execution concurrency holds exactly. */
const CLAIM_LOCK = 7_301_942_120;

/**
 * Claims due tasks ($1 at most, round-robin across running executions within their
 * maxConcurrency) with their fan-out siblings, for lease owner $2 for $3 seconds,
 * never the tasks in $4 (see TaskQueue.claim). Exported for the plan test.
 */
export const CLAIM_SQL = `WITH capacity AS (
       SELECT e.id AS execution_id,
              coalesce(e.max_concurrency, 2147483647) - (
                SELECT count(*) FROM task r
                WHERE r.execution_id = e.id AND r.status = 'running' AND r.lease_expires_at > now()
              ) AS free
       FROM execution e
       WHERE e.status = 'running' AND NOT e.stop_requested
     ),
     picked AS (
       SELECT t.*, row_number() OVER (PARTITION BY c.execution_id ORDER BY t.seq) AS rank
       FROM capacity c
       CROSS JOIN LATERAL (
         SELECT t.id, t.seq, t.execution_id, t.operation, t.digest, t.source_registry_id,
                t.source_repository, t.destination_registry_id
         FROM task t
         WHERE t.execution_id = c.execution_id
           AND ((t.status = 'pending' AND (t.not_before IS NULL OR t.not_before <= now()))
                OR (t.status = 'running' AND t.lease_expires_at <= now() AND t.id <> ALL($4::uuid[])))
         ORDER BY t.seq
         LIMIT least(c.free, $1)
         FOR UPDATE OF t SKIP LOCKED
       ) t
       WHERE c.free > 0
     ),
     chosen AS MATERIALIZED (SELECT * FROM picked ORDER BY rank, seq LIMIT $1),
     siblings AS (
       -- Driven from the few chosen tasks themselves (the CTE's rows, LATERAL): read
       -- again from the task table, the planner, misled by the statistics of a nearly
       -- empty table, scanned every task and looked for siblings of each.
       SELECT s.id FROM chosen c
       CROSS JOIN LATERAL (
         SELECT s.id FROM task s
         WHERE s.execution_id = c.execution_id AND s.digest = c.digest
           AND s.status = 'pending' AND s.operation = 'copy'
           AND s.source_registry_id = c.source_registry_id
           AND s.source_repository = c.source_repository
           AND s.destination_registry_id <> c.destination_registry_id
           AND (s.not_before IS NULL OR s.not_before <= now())
         FOR UPDATE OF s SKIP LOCKED
       ) s
       WHERE c.operation = 'copy'
     ),
     claimed AS (
       UPDATE task SET status = 'running', lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3),
              attempts = attempts + 1, started_at = coalesce(started_at, now()), not_before = NULL, updated_at = now()
       WHERE id IN (SELECT id FROM chosen UNION SELECT id FROM siblings)
       RETURNING *
     )
     SELECT t.*, e.owner_kind, e.owner_id, e.owner_lane, e.override, e.bandwidth_limit, e.referrers, e.variants
     FROM claimed t JOIN execution e ON e.id = t.execution_id`;

/**
 * The claim, prepared once per connection: planning its CTEs cost PostgreSQL about
 * twice as much as running them, on every claim (pg_stat_statements with
 * track_planning, in the many-small bench).
 */
const CLAIM: PreparedStatement = {
  name: 'regrelay_claim_tasks',
  sql: CLAIM_SQL,
  types: ['integer', 'text', 'float8', 'uuid[]'],
};

/**
 * A task as claimed: its row, with what it needs from its execution at the moment
 * of the claim (so a running task reads no settings of its own).
 */
export interface ClaimedTask extends TaskEntity {
  owner: ExecutionOwner;
  settings: Pick<ExecutionSettings, 'override' | 'bandwidthLimit' | 'referrers' | 'variants'>;
  /**
   * How many tasks of this claim copy the same artifact from the same source (to
   * different destinations), this one included: they share one read of each blob.
   */
  fanOut: number;
}

export interface Lease {
  owner: string;
  seconds: number;
}

/** Outcome of renewing this process's leases (tasks not named are still ours). */
export interface RenewResult {
  /** Ours, but the execution was asked to stop. */
  stopping: string[];
  /** No longer ours (expired and taken over, or finished elsewhere). */
  lost: string[];
}

/**
 * The task queue in PostgreSQL. Workers claim tasks with FOR UPDATE SKIP LOCKED and
 * hold a lease they renew; a task whose lease expired (its worker died) is claimable
 * again. Every state change after the claim is conditional on still holding the
 * lease, so a worker that lost its task cannot record a second outcome.
 */
@Injectable()
export class TaskQueue {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` runnable tasks: pending (and due), or running with an
   * expired lease; of running, not-stopping executions; within each execution's
   * maxConcurrency; taken round-robin across executions (so across owners: one runs
   * per owner) in insertion order.
   *
   * With each copy task come its pending siblings: the same artifact from the same
   * source going to other destinations. Started together, they share one read of
   * each blob from the source (SharedBlobReads); claimed one by one, they would start
   * a whole task apart and each read the source again. So a fan-out claim may return
   * up to destinations − 1 tasks more per task than `limit` (and than
   * maxConcurrency): the extra tasks cost destination writes, not source reads.
   *
   * `running` names tasks this process still runs: their lease may have run out
   * while the database was unreachable, and they must not start a second time here.
   */
  async claim(limit: number, lease: Lease, running: string[] = []): Promise<ClaimedTask[]> {
    if (limit <= 0) return [];
    // One round trip (lock and claim as one simple query) instead of four (begin, lock,
    // claim, commit): the lock serialises every claimer, so its round trips are theirs.
    const rows = await queryUnderLock<Record<string, unknown>>(this.dataSource, CLAIM_LOCK, CLAIM, [
      Math.trunc(limit),
      lease.owner,
      lease.seconds,
      running.map(uuidOf),
    ]);
    return withFanOut(rows.map(fromRow));
  }

  /** Extends this process's leases and reports which tasks must stop. */
  async renew(taskIds: string[], lease: Lease): Promise<RenewResult> {
    if (!taskIds.length) return { stopping: [], lost: [] };
    const rows = await queryRows<{ id: string; stop_requested: boolean }>(
      this.dataSource,
      `UPDATE task t SET lease_expires_at = now() + make_interval(secs => $3)
       FROM execution e
       WHERE t.id = ANY($1) AND t.lease_owner = $2 AND t.status = 'running' AND e.id = t.execution_id
       RETURNING t.id, e.stop_requested`,
      [taskIds, lease.owner, lease.seconds],
    );
    const held = new Map(rows.map((r) => [r.id, r.stop_requested]));
    return {
      stopping: taskIds.filter((id) => held.get(id) === true),
      lost: taskIds.filter((id) => !held.has(id)),
    };
  }

  /** Records progress of a running task (ignored if the lease was lost). */
  async progress(
    taskId: string,
    owner: string,
    bytesDone: number,
    bytesTotal: number,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE task SET bytes_done = $3, bytes_total = greatest(bytes_total, $4), updated_at = now()
       WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [taskId, owner, bytesDone, bytesTotal],
    );
  }

  /**
   * Final outcome; returns false if this process no longer held the task. The lease
   * owner stays on the row: it says which instance ran the task (`worker` in the API).
   */
  async finish(
    taskId: string,
    owner: string,
    outcome: {
      status: Extract<TaskStatus, 'succeeded' | 'failed' | 'skipped' | 'stopped'>;
      reason?: string | null;
      bytesDone?: number;
      bytesTotal?: number;
      referrersCopied?: number;
      writtenDigest?: string;
    },
  ): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE task SET status = $3, reason = $4, bytes_done = coalesce($5, bytes_done),
              bytes_total = greatest(bytes_total, coalesce($6, 0)), ended_at = now(), updated_at = now(),
              referrers_copied = referrers_copied + coalesce($7, 0),
              written_digest = coalesce($8, written_digest),
              lease_expires_at = NULL
       WHERE id = $1 AND lease_owner = $2 AND status = 'running'
       RETURNING id`,
      [
        taskId,
        owner,
        outcome.status,
        outcome.reason ?? null,
        outcome.bytesDone ?? null,
        outcome.bytesTotal ?? null,
        outcome.referrersCopied ?? null,
        outcome.writtenDigest ?? null,
      ],
      'regrelay_finish_task',
    );
    return rows.length > 0;
  }

  /** Puts a task back for a later attempt; returns false if the lease was lost. */
  async retryLater(
    taskId: string,
    owner: string,
    reason: string,
    delayMs: number,
  ): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE task SET status = 'pending', reason = $3, not_before = now() + make_interval(secs => $4),
              lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE id = $1 AND lease_owner = $2 AND status = 'running'
       RETURNING id`,
      [taskId, owner, reason, delayMs / 1000],
    );
    return rows.length > 0;
  }

  /**
   * Hands a running task back to the queue at once, giving back the attempt its
   * claim counted (the attempt was cut short by shutdown or a database outage, not
   * by anything the task did). Returns false if the lease was lost.
   */
  async release(taskId: string, owner: string, reason: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE task SET status = 'pending', reason = $3, attempts = greatest(attempts - 1, 0),
              not_before = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE id = $1 AND lease_owner = $2 AND status = 'running'
       RETURNING id`,
      [taskId, owner, reason],
    );
    return rows.length > 0;
  }

  /**
   * Makes claimable at once the running tasks leased to owners whose id starts with
   * `prefix` other than `self`: a dead predecessor's (see InstanceId). The claim
   * still counts an attempt: the task may be what killed the process. Returns how many.
   */
  async takeOverFrom(prefix: string, self: string): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE task SET lease_expires_at = now(), updated_at = now()
       WHERE status = 'running' AND starts_with(lease_owner, $1) AND lease_owner <> $2
         AND lease_expires_at > now()
       RETURNING id`,
      [prefix, self],
    );
    return rows.length;
  }

  /** Tasks waiting to run, for the queue-depth gauge. */
  async depth(): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*) AS n FROM task t JOIN execution e ON e.id = t.execution_id
       WHERE t.status = 'pending' AND e.status = 'running'`,
    )) as { n: string }[];
    return Number(row?.n ?? 0);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A task id, checked before it is written into the claim's SQL as a literal. */
function uuidOf(id: string): string {
  if (!UUID.test(id)) throw new Error(`not a task id: ${id}`);
  return id;
}

/** Counts, per claimed copy, the tasks of the claim sharing its source artifact. */
function withFanOut(tasks: Omit<ClaimedTask, 'fanOut'>[]): ClaimedTask[] {
  const key = (t: Omit<ClaimedTask, 'fanOut'>) =>
    `${t.executionId}|${t.sourceRegistryId}|${t.sourceRepository}|${t.digest}`;
  const counts = new Map<string, number>();
  for (const t of tasks)
    if (t.operation === 'copy') counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  return tasks.map((t) => ({ ...t, fanOut: t.operation === 'copy' ? counts.get(key(t))! : 1 }));
}

/** Raw row (snake_case, joined with its execution) → a claimed task. */
function fromRow(row: Record<string, unknown>): Omit<ClaimedTask, 'fanOut'> {
  const num = (v: unknown) => Number(v ?? 0);
  const task = Object.assign(new TaskEntity(), {
    id: row.id as string,
    seq: num(row.seq),
    executionId: row.execution_id as string,
    operation: row.operation as TaskEntity['operation'],
    sourceRegistryId: row.source_registry_id as string,
    destinationRegistryId: row.destination_registry_id as string,
    sourceRepository: row.source_repository as string,
    destinationRepository: row.destination_repository as string,
    tag: (row.tag as string | null) ?? null,
    digest: row.digest as string,
    mediaType: (row.media_type as string | null) ?? null,
    destinationExpected: (row.destination_expected as string | null) ?? null,
    destinationEmpty: row.destination_empty === true,
    status: row.status as TaskStatus,
    reason: (row.reason as string | null) ?? null,
    attempts: num(row.attempts),
    bytesTotal: num(row.bytes_total),
    bytesDone: num(row.bytes_done),
    referrersCopied: num(row.referrers_copied),
    writtenDigest: (row.written_digest as string | null) ?? null,
    outOfSelection: row.out_of_selection === true,
    notBefore: (row.not_before as Date | null) ?? null,
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseExpiresAt: (row.lease_expires_at as Date | null) ?? null,
    createdAt: row.created_at as Date,
    startedAt: (row.started_at as Date | null) ?? null,
    endedAt: (row.ended_at as Date | null) ?? null,
    updatedAt: row.updated_at as Date,
  });
  return Object.assign(task, {
    owner: ownerOfRow(row as Parameters<typeof ownerOfRow>[0]),
    settings: {
      override: row.override as boolean,
      bandwidthLimit: row.bandwidth_limit === null ? null : num(row.bandwidth_limit),
      referrers: (row.referrers as ExecutionSettings['referrers']) ?? null,
      variants: (row.variants as ExecutionSettings['variants']) ?? null,
    },
  });
}
