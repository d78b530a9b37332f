import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';

/**
 * When each side of a pair last reported a push of a tag (its webhook's time), for
 * the `newest` conflict rule. Only pushes by people count: regrelay's own writes
 * reported back are not recorded.
 */
@Injectable()
export class PushTimes {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(
    topologyId: string,
    registryId: string,
    pushes: readonly { repository: string; tag: string; digest: string | null; at: Date }[],
  ): Promise<void> {
    for (const p of pushes) {
      await queryRows(
        this.dataSource,
        `INSERT INTO topology_push (topology_id, registry_id, repository, tag, digest, pushed_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (topology_id, registry_id, repository, tag) DO UPDATE
         SET digest = excluded.digest, pushed_at = greatest(topology_push.pushed_at, excluded.pushed_at)`,
        [topologyId, registryId, p.repository, p.tag, p.digest, p.at],
      );
    }
  }

  /** Registry id → when it last reported pushing `digest` at the tag (other digests do not count). */
  async of(
    topologyId: string,
    repository: string,
    tag: string,
  ): Promise<Map<string, { digest: string | null; at: Date }>> {
    const rows = await queryRows<{ registry_id: string; digest: string | null; pushed_at: Date }>(
      this.dataSource,
      `SELECT registry_id, digest, pushed_at FROM topology_push
       WHERE topology_id = $1 AND repository = $2 AND tag = $3`,
      [topologyId, repository, tag],
    );
    return new Map(rows.map((r) => [r.registry_id, { digest: r.digest, at: r.pushed_at }]));
  }
}
