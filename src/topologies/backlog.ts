import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { PlannedTask } from '../replication/planning/task-batch.js';

/** A delivery to a tree node that failed for good: it waits for the node to answer again. */
export interface Waiting {
  topologyId: string;
  parentRegistryId: string;
  childRegistryId: string;
  task: PlannedTask;
  eventAt: Date | null;
}

interface Row {
  topology_id: string;
  parent_registry_id: string;
  child_registry_id: string;
  operation: 'copy' | 'delete';
  source_repository: string;
  destination_repository: string;
  tag: string;
  digest: string;
  event_at: Date | null;
}

/**
 * The topology_backlog table: what a tree node missed while it was down, per tag
 * (the latest wins), so its subtree catches up when it answers again without a
 * rescan of the root.
 */
@Injectable()
export class Backlog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(w: Waiting): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO topology_backlog (topology_id, parent_registry_id, child_registry_id, operation,
                                    source_repository, destination_repository, tag, digest, event_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (topology_id, child_registry_id, destination_repository, tag) DO UPDATE
       SET parent_registry_id = excluded.parent_registry_id, operation = excluded.operation,
           source_repository = excluded.source_repository, digest = excluded.digest,
           event_at = coalesce(topology_backlog.event_at, excluded.event_at), failed_at = now()`,
      [
        w.topologyId,
        w.parentRegistryId,
        w.childRegistryId,
        w.task.operation,
        w.task.sourceRepository,
        w.task.destinationRepository,
        w.task.tag,
        w.task.digest,
        w.eventAt,
      ],
    );
  }

  /** Nodes with deliveries waiting: (topology, child). */
  waitingNodes(): Promise<{ topologyId: string; childRegistryId: string; n: number }[]> {
    return queryRows(
      this.dataSource,
      `SELECT topology_id AS "topologyId", child_registry_id AS "childRegistryId", count(*)::int AS n
       FROM topology_backlog GROUP BY topology_id, child_registry_id`,
    );
  }

  /** Takes (deletes and returns) what waits for a node: the caller re-queues it. */
  async take(topologyId: string, childRegistryId: string): Promise<Waiting[]> {
    const rows = await queryRows<Row>(
      this.dataSource,
      `DELETE FROM topology_backlog WHERE topology_id = $1 AND child_registry_id = $2 RETURNING *`,
      [topologyId, childRegistryId],
    );
    return rows.map((r) => ({
      topologyId: r.topology_id,
      parentRegistryId: r.parent_registry_id,
      childRegistryId: r.child_registry_id,
      eventAt: r.event_at,
      task: {
        operation: r.operation,
        sourceRegistryId: r.parent_registry_id,
        sourceRepository: r.source_repository,
        destinationRegistryId: r.child_registry_id,
        destinationRepository: r.destination_repository,
        tag: r.tag,
        digest: r.digest,
        mediaType: null,
        status: 'pending',
        reason: 'caught up after the node answered again',
      },
    }));
  }

  /** Waiting deliveries per node of a topology. */
  async countsOf(topologyId: string): Promise<Map<string, number>> {
    const rows = await queryRows<{ child: string; n: number }>(
      this.dataSource,
      `SELECT child_registry_id AS child, count(*)::int AS n FROM topology_backlog
       WHERE topology_id = $1 GROUP BY child_registry_id`,
      [topologyId],
    );
    return new Map(rows.map((r) => [r.child, r.n]));
  }
}
