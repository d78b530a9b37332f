import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../../database/sql.js';
import { EventBus } from '../event-bus.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import type { OwnerKind } from '../owners/execution-owner.js';
import { ownerOfRow, type ExecutionStatus } from './execution.entity.js';

interface Finished {
  id: string;
  owner_kind: OwnerKind;
  owner_id: string;
  owner_lane: string;
  status: ExecutionStatus;
  message: string | null;
  trigger: string;
  seconds: number;
}

/**
 * Ends an execution once it is planned and none of its tasks is pending or
 * running; its status follows from its tasks: stopped if a stop was asked,
 * failed if any task failed, else succeeded (nothing to do is a success too).
 * One guarded UPDATE, so replicas finishing the last tasks together end it once.
 */
@Injectable()
export class ExecutionFinisher {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly metrics: ReplicationMetrics,
  ) {}

  async finishIfDone(executionId: string): Promise<ExecutionStatus | undefined> {
    // Called after every task: the cheap indexed check spares counting all the tasks
    // of a large execution each time one of them ends.
    const [open] = await queryRows<{ open: boolean }>(
      this.dataSource,
      `SELECT EXISTS (SELECT 1 FROM task WHERE execution_id = $1 AND status IN ('pending', 'running')) AS open`,
      [executionId],
    );
    if (open?.open) return undefined;
    const rows = await queryRows<Finished>(
      this.dataSource,
      `WITH counts AS (
         SELECT count(*) FILTER (WHERE status IN ('pending', 'running')) AS open,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
                count(*) FILTER (WHERE status = 'skipped') AS skipped,
                -- tags found in place have no rows (TaskBatch)
                count(*) + (SELECT in_place FROM execution WHERE id = $1) AS total
         FROM task WHERE execution_id = $1
       )
       UPDATE execution e
       SET status = CASE WHEN e.stop_requested THEN 'stopped'
                         WHEN c.failed > 0 OR e.planning_error IS NOT NULL THEN 'failed'
                         ELSE 'succeeded' END,
           ended_at = now(),
           lease_owner = NULL, lease_expires_at = NULL,
           message = CASE WHEN e.stop_requested THEN 'Stopped on request'
                          WHEN e.planning_error IS NOT NULL THEN e.planning_error
                          WHEN c.failed > 0 THEN c.failed || ' of ' || c.total
                               || ' tasks failed; see the failed tasks for each error' || coalesce('. ' || e.message, '')
                          WHEN e.message IS NOT NULL THEN e.message
                          WHEN c.total = 0 AND e.owner_kind = 'policy' THEN 'Nothing to replicate: no repository or tag matched the filters'
                          WHEN c.total = 0 THEN 'Nothing to replicate'
                          WHEN c.succeeded = 0 THEN 'Nothing to do: every artifact was already in place or skipped'
                          ELSE NULL END
       FROM counts c
       WHERE e.id = $1 AND e.status = 'running' AND e.planned AND c.open = 0
       RETURNING e.id, e.owner_kind, e.owner_id, e.owner_lane, e.status, e.message, e.trigger,
                 extract(epoch FROM e.ended_at - coalesce(e.started_at, e.created_at))::float8 AS seconds`,
      [executionId],
    );
    const done = rows[0];
    if (!done) return undefined;
    const owner = ownerOfRow(done);
    await this.metrics.executionFinished(owner, done.trigger, done.status, done.seconds);
    await this.bus.publish({
      type: 'execution.finished',
      executionId: done.id,
      owner,
      status: done.status,
      message: done.message,
    });
    return done.status;
  }
}
