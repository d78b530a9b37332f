import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';

/** Where one node of a topology stands, as deliveries, failures and syncs left it. */
export interface NodeState {
  registryId: string;
  /** From the latest sync: tags the node lacks, tags it holds with another digest. */
  missing: number | null;
  different: number | null;
  checkedAt: Date | null;
  lastDeliveredAt: Date | null;
  /** End to end, from the push at the root (or the other master) to the artifact here. */
  lastLagSeconds: number | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

/** The topology_node_state table: one row per (topology, node), written as things happen. */
@Injectable()
export class NodeStates {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async delivered(
    topologyId: string,
    registryId: string,
    lagSeconds: number | null,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO topology_node_state (topology_id, registry_id, last_delivered_at, last_lag_seconds)
       VALUES ($1, $2, now(), $3)
       ON CONFLICT (topology_id, registry_id) DO UPDATE
       SET last_delivered_at = now(),
           last_lag_seconds = coalesce(excluded.last_lag_seconds, topology_node_state.last_lag_seconds)`,
      [topologyId, registryId, lagSeconds],
    );
  }

  async failed(topologyId: string, registryId: string, error: string): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO topology_node_state (topology_id, registry_id, last_error, last_error_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (topology_id, registry_id) DO UPDATE
       SET last_error = excluded.last_error, last_error_at = now()`,
      [topologyId, registryId, error.slice(0, 2000)],
    );
  }

  /** A sync compared the node: what it found (a clean result also clears the last error). */
  async checked(
    topologyId: string,
    registryId: string,
    found: { missing: number; different: number },
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO topology_node_state (topology_id, registry_id, missing, different, checked_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (topology_id, registry_id) DO UPDATE
       SET missing = excluded.missing, different = excluded.different, checked_at = now(),
           last_error = CASE WHEN excluded.missing + excluded.different = 0 THEN NULL
                             ELSE topology_node_state.last_error END`,
      [topologyId, registryId, found.missing, found.different],
    );
  }

  async of(topologyId: string): Promise<Map<string, NodeState>> {
    const rows = await queryRows<NodeState>(
      this.dataSource,
      `SELECT registry_id AS "registryId", missing, different, checked_at AS "checkedAt",
              last_delivered_at AS "lastDeliveredAt", last_lag_seconds AS "lastLagSeconds",
              last_error AS "lastError", last_error_at AS "lastErrorAt"
       FROM topology_node_state WHERE topology_id = $1`,
      [topologyId],
    );
    return new Map(rows.map((r) => [r.registryId, r]));
  }

  /** Nodes out of sync (drift at the last sync, or deliveries waiting), per topology id. */
  async outOfSync(): Promise<{ topologyId: string; n: number }[]> {
    return queryRows(
      this.dataSource,
      `SELECT topology_id AS "topologyId", count(*)::int AS n FROM (
         SELECT topology_id, registry_id FROM topology_node_state WHERE coalesce(missing, 0) + coalesce(different, 0) > 0
         UNION SELECT topology_id, child_registry_id FROM topology_backlog
       ) nodes GROUP BY topology_id`,
    );
  }
}
