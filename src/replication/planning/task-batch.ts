import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../database/sql.js';
import type { TaskOperation, TaskStatus } from '../tasks/task.entity.js';

/** A task as planning (or a request) produces it, before it has a row. */
export interface PlannedTask {
  operation: TaskOperation;
  sourceRegistryId: string;
  sourceRepository: string;
  destinationRegistryId: string;
  destinationRepository: string;
  /** The tag written at the destination; null copies by digest only. */
  tag: string | null;
  /** The digest the task copies (pinned) or deletes. */
  digest: string;
  mediaType: string | null;
  status: Extract<TaskStatus, 'pending' | 'skipped' | 'failed' | 'held'>;
  reason: string | null;
  /** What the destination tag must hold for a copy to write (see TaskEntity); default none. */
  destinationExpected?: string | null;
  /**
   * A delete of a tag the source still has, out of the policy's retention-style
   * selection (semver, latest): it is not checked to have left the source.
   */
  outOfSelection?: boolean;
  /** A copy into a repository that listed no tags at planning (see TaskEntity). */
  destinationEmpty?: boolean;
  /**
   * A skipped copy whose tag is already in place at the destination: planning counts
   * it on the execution (`in_place`) instead of writing a row (see TaskBatch).
   */
  inPlace?: boolean;
}

const COLUMNS = 14;
/** Rows per INSERT: well inside PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 250;

/**
 * Writes tasks of an execution in multi-row INSERTs (inside a transaction when given
 * its manager). Rows that already exist (a re-plan after a crash) are left as they
 * are; returns the statuses of the rows written.
 */
export async function insertTasks(
  db: DataSource | EntityManager,
  executionId: string,
  tasks: readonly PlannedTask[],
): Promise<TaskStatus[]> {
  const written: TaskStatus[] = [];
  for (let start = 0; start < tasks.length; start += ROWS_PER_STATEMENT) {
    const rows = tasks.slice(start, start + ROWS_PER_STATEMENT);
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(
        executionId,
        r.operation,
        r.sourceRegistryId,
        r.sourceRepository,
        r.destinationRegistryId,
        r.destinationRepository,
        r.tag,
        r.digest,
        r.mediaType,
        r.status,
        r.reason,
        r.destinationExpected ?? null,
        r.outOfSelection ?? false,
        r.destinationEmpty ?? false,
      );
      const p = Array.from({ length: COLUMNS }, (_, c) => `$${i * COLUMNS + c + 1}`);
      return `(${p.join(', ')}, ${r.status === 'pending' || r.status === 'held' ? 'NULL' : 'now()'})`;
    });
    const inserted = await queryRows<{ status: TaskStatus }>(
      db,
      `INSERT INTO task (execution_id, operation, source_registry_id, source_repository,
                         destination_registry_id, destination_repository, tag, digest, media_type,
                         status, reason, destination_expected, out_of_selection, destination_empty,
                         ended_at)
       VALUES ${tuples.join(', ')}
       ON CONFLICT DO NOTHING
       RETURNING status`,
      values,
    );
    written.push(...inserted.map((r) => r.status));
  }
  return written;
}

/**
 * Collects planned tasks and writes them in batches while planning goes on. After
 * each flush it reports whether the execution was asked to stop, so planning can end
 * early. Tags already in place are counted on the execution, not written: they are
 * most of a resync, and a row each only to be counted made a no-op cost a write per
 * tag.
 */
export class TaskBatch {
  private rows: PlannedTask[] = [];
  /** In-place tags added since the last flush. */
  private inPlace = 0;
  private flushed = false;
  inserted = 0;
  runnable = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly executionId: string,
    private readonly size = ROWS_PER_STATEMENT,
  ) {}

  /** Counted rows too, so that a long run of in-place tags still checks for a stop. */
  get full(): boolean {
    return this.rows.length + this.inPlace >= this.size;
  }

  add(task: PlannedTask): void {
    if (task.inPlace) this.inPlace++;
    else this.rows.push(task);
  }

  /** Writes what is collected; returns true when the execution should stop planning. */
  async flush(): Promise<boolean> {
    const rows = this.rows;
    this.rows = [];
    if (rows.length) {
      const written = await insertTasks(this.dataSource, this.executionId, rows);
      this.inserted += written.length;
      this.runnable += written.filter((status) => status === 'pending').length;
    }
    const inPlace = this.inPlace;
    this.inPlace = 0;
    // The first flush of a planning sets the count: a re-plan after a crash walks every
    // tag again, so it starts over (rows already written stay, as conflicts).
    const first = !this.flushed;
    this.flushed = true;
    const [execution] = await queryRows<{ stop_requested: boolean }>(
      this.dataSource,
      `UPDATE execution SET in_place = CASE WHEN $3 THEN 0 ELSE in_place END + $2
       WHERE id = $1 RETURNING stop_requested`,
      [this.executionId, inPlace, first],
    );
    return !execution || execution.stop_requested;
  }
}
