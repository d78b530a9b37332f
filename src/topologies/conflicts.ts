import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { notFound } from '../common/errors.js';
import { queryRows } from '../database/sql.js';

/**
 * How a conflict ended: settled by the pair's rule (`prefer-first`, `prefer-second`,
 * `newest`), by a person (`manual`), a change that won over a deletion on the other
 * side (`change-kept`), or waiting for a person (`held`).
 */
export type Resolution =
  'prefer-first' | 'prefer-second' | 'newest' | 'manual' | 'change-kept' | 'held';

export interface Conflict {
  id: string;
  topologyId: string;
  repository: string;
  tag: string;
  /** Registry id → the digest it held when the conflict was found (null: absent). */
  digests: Record<string, string | null>;
  resolution: Resolution;
  resolvedDigest: string | null;
  detectedAt: Date;
  resolvedAt: Date | null;
}

const COLUMNS = `id, topology_id AS "topologyId", repository, tag, digests, resolution,
  resolved_digest AS "resolvedDigest", detected_at AS "detectedAt", resolved_at AS "resolvedAt"`;

/** The topology_conflict table: what pairs found changed differently on both sides. */
@Injectable()
export class Conflicts {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records a conflict, or returns the one already recorded (`created` says which): the
   * open one for the same tag, or — settled by the rule — the tag's latest conflict when
   * it had the same digests and resolution. A pair finding the same conflict again does
   * not repeat it: a pass cut short before its resolving copy landed (the process
   * killed, a side down) is planned again and meets the sides exactly as before.
   */
  async record(c: {
    topologyId: string;
    repository: string;
    tag: string;
    digests: Record<string, string | null>;
    resolution: Resolution;
    resolvedDigest: string | null;
  }): Promise<{ conflict: Conflict; created: boolean }> {
    const held = c.resolution === 'held';
    if (!held) {
      const [latest] = await queryRows<Conflict>(
        this.dataSource,
        `SELECT ${COLUMNS} FROM topology_conflict
         WHERE topology_id = $1 AND repository = $2 AND tag = $3
         ORDER BY detected_at DESC, id LIMIT 1`,
        [c.topologyId, c.repository, c.tag],
      );
      if (
        latest &&
        latest.resolution === c.resolution &&
        latest.resolvedDigest === c.resolvedDigest &&
        sameDigests(latest.digests, c.digests)
      )
        return { conflict: latest, created: false };
    }
    const [created] = await queryRows<Conflict>(
      this.dataSource,
      `INSERT INTO topology_conflict (topology_id, repository, tag, digests, resolution, resolved_digest, resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN NULL ELSE now() END)
       ON CONFLICT (topology_id, repository, tag) WHERE resolved_at IS NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        c.topologyId,
        c.repository,
        c.tag,
        JSON.stringify(c.digests),
        c.resolution,
        c.resolvedDigest,
        held,
      ],
    );
    if (created) return { conflict: created, created: true };
    const [open] = await queryRows<Conflict>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM topology_conflict
       WHERE topology_id = $1 AND repository = $2 AND tag = $3 AND resolved_at IS NULL`,
      [c.topologyId, c.repository, c.tag],
    );
    return { conflict: open!, created: false };
  }

  /** The open (held) conflict of a tag, if any. */
  async open(topologyId: string, repository: string, tag: string): Promise<Conflict | undefined> {
    const [row] = await queryRows<Conflict>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM topology_conflict
       WHERE topology_id = $1 AND repository = $2 AND tag = $3 AND resolved_at IS NULL`,
      [topologyId, repository, tag],
    );
    return row;
  }

  async get(topologyId: string, id: string): Promise<Conflict> {
    const [row] = await queryRows<Conflict>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM topology_conflict WHERE topology_id = $1 AND id = $2`,
      [topologyId, id],
    );
    if (!row) throw notFound('Conflict', id);
    return row;
  }

  /** Marks a held conflict resolved; false when it was not held any more. */
  async resolve(id: string, resolution: Resolution, digest: string | null): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE topology_conflict SET resolution = $2, resolved_digest = $3, resolved_at = now()
       WHERE id = $1 AND resolved_at IS NULL RETURNING id`,
      [id, resolution, digest],
    );
    return rows.length > 0;
  }

  async list(
    topologyId: string,
    filter: { held?: boolean; limit: number; offset: number },
  ): Promise<{ items: Conflict[]; total: number }> {
    const where = `topology_id = $1 ${filter.held === undefined ? '' : filter.held ? 'AND resolved_at IS NULL' : 'AND resolved_at IS NOT NULL'}`;
    const [items, [count]] = await Promise.all([
      queryRows<Conflict>(
        this.dataSource,
        `SELECT ${COLUMNS} FROM topology_conflict WHERE ${where}
         ORDER BY detected_at DESC, id LIMIT $2 OFFSET $3`,
        [topologyId, filter.limit, filter.offset],
      ),
      queryRows<{ n: number }>(
        this.dataSource,
        `SELECT count(*)::int AS n FROM topology_conflict WHERE ${where}`,
        [topologyId],
      ),
    ]);
    return { items, total: count?.n ?? 0 };
  }

  /** Held conflicts per topology id, for the gauge. */
  held(): Promise<{ topologyId: string; n: number }[]> {
    return queryRows(
      this.dataSource,
      `SELECT topology_id AS "topologyId", count(*)::int AS n FROM topology_conflict
       WHERE resolved_at IS NULL GROUP BY topology_id`,
    );
  }
}

function sameDigests(a: Record<string, string | null>, b: Record<string, string | null>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && a[k] === b[k]);
}
