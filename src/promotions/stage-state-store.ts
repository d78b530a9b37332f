import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { Hold } from './promotion-store.js';

/** Which repositories of a pipeline to read, and how many digests of each. */
export interface StateSelection {
  pipelineId: string;
  stageIds: string[];
  /** One repository only. */
  repository?: string;
  /** A page of repositories, by name; without it, all of them. */
  limit?: number;
  offset?: number;
  /** The newest this many digests (and tags) per stage and repository; without it, all. */
  digests?: number;
  tags?: number;
}

/**
 * Reads where a pipeline's digests stand (its promotions' tags, the digests known in
 * each stage, the holds), a page of repositories at a time: a pipeline that has
 * promoted for years answers in one page, never its whole past.
 */
@Injectable()
export class StageStateStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The repositories the state names (a tag a promotion wrote, a digest known in a
   * stage, or a standing hold), in name order: one page of them and how many in all.
   */
  async repositories(s: StateSelection): Promise<{ names: string[]; total: number }> {
    const from = `(
        SELECT repository FROM promotion
        WHERE pipeline_id = $1 AND status = 'succeeded' AND tag IS NOT NULL AND stage_id IS NOT NULL
        UNION SELECT repository FROM stage_digest WHERE stage_id = ANY($2)
        UNION SELECT repository FROM promotion_hold WHERE stage_id = ANY($2) AND released_at IS NULL
      ) r WHERE ($3::text IS NULL OR repository = $3)`;
    const params = [s.pipelineId, s.stageIds, s.repository ?? null];
    const [rows, [count]] = await Promise.all([
      queryRows<{ repository: string }>(
        this.dataSource,
        `SELECT repository FROM ${from} ORDER BY repository COLLATE "C" LIMIT $4 OFFSET $5`,
        [...params, s.limit ?? null, s.offset ?? 0],
      ),
      queryRows<{ n: number }>(this.dataSource, `SELECT count(*)::int AS n FROM ${from}`, params),
    ]);
    return { names: rows.map((r) => r.repository), total: count?.n ?? 0 };
  }

  /**
   * The tags of these repositories as the pipeline's succeeded promotions left them,
   * per stage, by name; with `newest`, only that many of the latest written per stage
   * and repository. `total` counts them all.
   */
  currentTags(pipelineId: string, repositories: string[], newest?: number) {
    return queryRows<{
      stage_id: string;
      repository: string;
      tag: string;
      digest: string;
      promotion_id: string;
      ended_at: Date;
      total: number;
    }>(
      this.dataSource,
      `SELECT stage_id, repository, tag, digest, promotion_id, ended_at, total FROM (
         SELECT *, row_number() OVER (PARTITION BY stage_id, repository ORDER BY ended_at DESC, tag) AS newest_first,
                count(*) OVER (PARTITION BY stage_id, repository)::int AS total
         FROM (
           SELECT DISTINCT ON (stage_id, repository, tag) stage_id, repository, tag, digest,
                  id AS promotion_id, ended_at
           FROM promotion
           WHERE pipeline_id = $1 AND status = 'succeeded' AND tag IS NOT NULL AND stage_id IS NOT NULL
             AND repository = ANY($2)
           ORDER BY stage_id, repository, tag, ended_at DESC
         ) current
       ) t WHERE $3::int IS NULL OR newest_first <= $3
       ORDER BY stage_id, repository, tag`,
      [pipelineId, repositories, newest ?? null],
    );
  }

  /**
   * The digests known in each stage for these repositories, oldest first; with
   * `newest`, only that many of the latest per stage and repository. `total` counts them all.
   */
  arrivals(stageIds: string[], repositories: string[], newest?: number) {
    return queryRows<{
      stage_id: string;
      repository: string;
      digest: string;
      arrived_at: Date;
      how: string;
      total: number;
    }>(
      this.dataSource,
      `SELECT stage_id, repository, digest, arrived_at, how, total FROM (
         SELECT stage_id, repository, digest, arrived_at, how,
                row_number() OVER w AS newest_first, count(*) OVER (PARTITION BY stage_id, repository)::int AS total
         FROM stage_digest WHERE stage_id = ANY($1) AND repository = ANY($2)
         WINDOW w AS (PARTITION BY stage_id, repository ORDER BY arrived_at DESC, digest)
       ) d WHERE $3::int IS NULL OR newest_first <= $3
       ORDER BY arrived_at, digest`,
      [stageIds, repositories, newest ?? null],
    );
  }

  /** The holds standing now over these repositories. */
  async holds(stageIds: string[], repositories: string[]): Promise<Hold[]> {
    const rows = await queryRows<{
      stage_id: string;
      repository: string;
      promotion_id: string;
      held_by: string;
      held_at: Date;
    }>(
      this.dataSource,
      `SELECT stage_id, repository, promotion_id, held_by, held_at FROM promotion_hold
       WHERE stage_id = ANY($1) AND repository = ANY($2) AND released_at IS NULL`,
      [stageIds, repositories],
    );
    return rows.map((r) => ({
      stageId: r.stage_id,
      repository: r.repository,
      promotionId: r.promotion_id,
      heldBy: r.held_by,
      heldAt: r.held_at,
    }));
  }
}
