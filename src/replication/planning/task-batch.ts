import type { DataSource } from 'typeorm';
import { queryRows } from '../../database/sql.js';
import type { TaskOperation, TaskStatus } from '../tasks/task.entity.js';

export interface PlannedTask {
  operation: TaskOperation;
  destinationRegistryId: string;
  sourceRepository: string;
  destinationRepository: string;
  tag: string | null;
  digest: string;
  mediaType: string | null;
  status: Extract<TaskStatus, 'pending' | 'skipped' | 'failed' | 'held'>;
  reason: string | null;
}

const COLUMNS = 11;

/**
 * Collects planned tasks and writes them in multi-row INSERTs. Rows that already
 * exist (a re-plan after a crash) are left as they are. After each flush it reports
 * whether the execution was asked to stop, so planning can end early.
 */
export class TaskBatch {
  private rows: PlannedTask[] = [];
  inserted = 0;
  runnable = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly executionId: string,
    private readonly policyId: string,
    private readonly size = 250,
  ) {}

  get full(): boolean {
    return this.rows.length >= this.size;
  }

  add(task: PlannedTask): void {
    this.rows.push(task);
  }

  /** Writes what is collected; returns true when the execution should stop planning. */
  async flush(): Promise<boolean> {
    const rows = this.rows;
    this.rows = [];
    if (rows.length) {
      const values: unknown[] = [];
      const tuples = rows.map((r, i) => {
        values.push(
          this.executionId,
          this.policyId,
          r.operation,
          r.destinationRegistryId,
          r.sourceRepository,
          r.destinationRepository,
          r.tag,
          r.digest,
          r.mediaType,
          r.status,
          r.reason,
        );
        const p = Array.from({ length: COLUMNS }, (_, c) => `$${i * COLUMNS + c + 1}`);
        return `(${p.join(', ')}, ${r.status === 'pending' || r.status === 'held' ? 'NULL' : 'now()'})`;
      });
      const written = await queryRows<{ status: string }>(
        this.dataSource,
        `INSERT INTO task (execution_id, policy_id, operation, destination_registry_id, source_repository,
                           destination_repository, tag, digest, media_type, status, reason, ended_at)
         VALUES ${tuples.join(', ')}
         ON CONFLICT DO NOTHING
         RETURNING status`,
        values,
      );
      this.inserted += written.length;
      this.runnable += written.filter((w) => w.status === 'pending').length;
    }
    const [execution] = await queryRows<{ stop_requested: boolean }>(
      this.dataSource,
      'SELECT stop_requested FROM execution WHERE id = $1',
      [this.executionId],
    );
    return !execution || execution.stop_requested;
  }
}
