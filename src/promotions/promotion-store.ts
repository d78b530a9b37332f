import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  In,
  type DataSource,
  type EntityManager,
  type QueryDeepPartialEntity,
  type Repository,
} from 'typeorm';
import { notFound } from '../common/errors.js';
import { queryRows } from '../database/sql.js';
import {
  OPEN_STATUSES,
  PromotionDecisionEntity,
  PromotionEntity,
  type PromotionStatus,
} from './promotion.entity.js';

/** Column changes; jsonb columns (gates, leaves) are written whole. */
type Changes = Partial<PromotionEntity>;
const row = (c: Changes) => c as QueryDeepPartialEntity<PromotionEntity>;

export interface Arrival {
  at: Date;
  how: 'promotion' | 'rollback' | 'event' | 'observed';
}

export interface Hold {
  stageId: string;
  repository: string;
  promotionId: string;
  heldBy: string;
  heldAt: Date;
}

/** The promotion module's tables: promotions, decisions, arrivals, holds. */
@Injectable()
export class PromotionStore {
  constructor(
    @InjectRepository(PromotionEntity) readonly promotions: Repository<PromotionEntity>,
    @InjectRepository(PromotionDecisionEntity)
    private readonly decisions: Repository<PromotionDecisionEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async get(id: string): Promise<PromotionEntity> {
    const found = await this.promotions.findOneBy({ id });
    if (!found) throw notFound('Promotion', id);
    return found;
  }

  byExecution(executionId: string): Promise<PromotionEntity | null> {
    return this.promotions.findOneBy({ executionId });
  }

  async insert(p: Partial<PromotionEntity>): Promise<PromotionEntity> {
    await this.promotions.insert(row(p));
    return this.get(p.id!);
  }

  /** Moves a promotion on, only from the status it is expected to be in. */
  async transition(
    id: string,
    from: PromotionStatus | readonly PromotionStatus[],
    changes: Changes,
    m: EntityManager | DataSource = this.dataSource,
  ): Promise<boolean> {
    const { affected } = await m.getRepository(PromotionEntity).update(
      {
        id,
        status: Array.isArray(from) ? In(from as PromotionStatus[]) : (from as PromotionStatus),
      },
      row(changes),
    );
    return (affected ?? 0) > 0;
  }

  decisionsOf(promotionIds: string[]): Promise<PromotionDecisionEntity[]> {
    if (!promotionIds.length) return Promise.resolve([]);
    return this.decisions.find({
      where: { promotionId: In(promotionIds) },
      order: { decidedAt: 'ASC' },
    });
  }

  /** Records a decision; false when this token already decided on the promotion. */
  async decide(d: Omit<PromotionDecisionEntity, 'decidedAt'>): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO promotion_decision (promotion_id, token_id, name, role, decision, comment)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING token_id`,
      [d.promotionId, d.tokenId, d.name, d.role, d.decision, d.comment],
    );
    return rows.length > 0;
  }

  /** Since when a digest is known in a stage (the first arrival is kept). */
  async arrival(stageId: string, repository: string, digest: string): Promise<Arrival | undefined> {
    const [row] = await queryRows<{ arrived_at: Date; how: Arrival['how'] }>(
      this.dataSource,
      'SELECT arrived_at, how FROM stage_digest WHERE stage_id = $1 AND repository = $2 AND digest = $3',
      [stageId, repository, digest],
    );
    return row && { at: row.arrived_at, how: row.how };
  }

  async recordArrival(
    stageId: string,
    repository: string,
    digest: string,
    how: Arrival['how'],
    at: Date | null,
    promotionId: string | null,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO stage_digest (stage_id, repository, digest, arrived_at, how, promotion_id)
       VALUES ($1, $2, $3, coalesce($4, now()), $5, $6)
       ON CONFLICT (stage_id, repository, digest) DO UPDATE
       SET arrived_at = least(stage_digest.arrived_at, excluded.arrived_at),
           how = CASE WHEN excluded.arrived_at < stage_digest.arrived_at THEN excluded.how ELSE stage_digest.how END`,
      [stageId, repository, digest, at, how, promotionId],
    );
  }

  /** Holds auto-promotion into a stage for a repository (a standing hold takes the new rollback). */
  async hold(h: Omit<Hold, 'heldAt'>): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO promotion_hold (stage_id, repository, promotion_id, held_by, held_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (stage_id, repository) WHERE released_at IS NULL
       DO UPDATE SET promotion_id = excluded.promotion_id, held_by = excluded.held_by`,
      [h.stageId, h.repository, h.promotionId, h.heldBy, new Date()],
    );
  }

  async release(stageId: string, repository: string, by: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE promotion_hold SET released_at = $3, released_by = $4
       WHERE stage_id = $1 AND repository = $2 AND released_at IS NULL RETURNING id`,
      [stageId, repository, new Date(), by],
    );
    return rows.length > 0;
  }

  /**
   * True when a hold stood at `at` (a digest that arrived then is not auto-promoted,
   * even if the hold was released a moment later).
   */
  async heldAt(stageId: string, repository: string, at: Date): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT 1 FROM promotion_hold WHERE stage_id = $1 AND repository = $2
         AND held_at <= $3 AND (released_at IS NULL OR released_at > $3) LIMIT 1`,
      [stageId, repository, at],
    );
    return rows.length > 0;
  }

  /** Succeeded promotions into a stage for one repository, newest first. */
  succeededInto(stageId: string, repository: string): Promise<PromotionEntity[]> {
    return this.promotions.find({
      where: { stageId, repository, status: 'succeeded' },
      order: { endedAt: 'DESC' },
      take: 1000,
    });
  }

  /** True when this digest went (or is going) into the stage under this tag. */
  async promotedOrOpen(
    stageId: string,
    repository: string,
    digest: string,
    tag: string,
  ): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT 1 FROM promotion WHERE stage_id = $1 AND repository = $2 AND digest = $3 AND tag = $4
         AND status IN ('waiting', 'queued', 'running', 'succeeded') LIMIT 1`,
      [stageId, repository, digest, tag],
    );
    return rows.length > 0;
  }

  /** Promotions still open into a stage, in request order. */
  openInto(stageId: string): Promise<PromotionEntity[]> {
    return this.promotions.find({
      where: { stageId, status: In(['waiting', 'queued', 'running']) },
      order: { seq: 'ASC' },
    });
  }

  async history(filter: {
    pipelineId: string;
    repository?: string;
    stage?: string;
    status?: PromotionStatus | 'open';
    limit: number;
    offset: number;
  }): Promise<{ items: PromotionEntity[]; total: number }> {
    const [items, total] = await this.promotions.findAndCount({
      where: {
        pipelineId: filter.pipelineId,
        ...(filter.repository ? { repository: filter.repository } : {}),
        ...(filter.stage ? { stageName: filter.stage } : {}),
        ...(filter.status === 'open'
          ? { status: In([...OPEN_STATUSES]) }
          : filter.status
            ? { status: filter.status }
            : {}),
      },
      order: { seq: 'DESC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { items, total };
  }

  /**
   * Claims waiting promotions due for evaluation, with a lease so one replica
   * evaluates each at a time; the lease ends with `finishEvaluation`.
   */
  async claimDue(
    owner: string,
    limit: number,
    leaseSeconds: number,
    now: Date,
  ): Promise<PromotionEntity[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `UPDATE promotion SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $3)
       WHERE id IN (
         SELECT id FROM promotion
         WHERE status = 'waiting' AND next_evaluation_at <= $4
           AND (lease_expires_at IS NULL OR lease_expires_at < now())
         ORDER BY next_evaluation_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [owner, limit, leaseSeconds, now],
    );
    return rows.length ? this.promotions.findBy({ id: In(rows.map((r) => r.id)) }) : [];
  }

  /** Claims one promotion for evaluation now (an approval arrived); false if another has it. */
  async claimOne(id: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE promotion SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3)
       WHERE id = $1 AND status = 'waiting' AND (lease_expires_at IS NULL OR lease_expires_at < now())
       RETURNING id`,
      [id, owner, leaseSeconds],
    );
    return rows.length > 0;
  }

  /** Asks for an evaluation at the next pass (something it depends on changed). */
  async dueAt(id: string, at: Date): Promise<void> {
    await this.promotions.update({ id, status: 'waiting' }, { nextEvaluationAt: at });
  }

  /** Ends an evaluation lease, writing what it concluded. */
  async finishEvaluation(id: string, owner: string, changes: Changes): Promise<boolean> {
    const { affected } = await this.promotions.update(
      { id, status: 'waiting', leaseOwner: owner },
      row({ ...changes, leaseOwner: null, leaseExpiresAt: null }),
    );
    return (affected ?? 0) > 0;
  }

  /** Stages with promotions whose gates passed, waiting for their turn. */
  async stagesWithQueued(): Promise<string[]> {
    const rows = await queryRows<{ stage_id: string }>(
      this.dataSource,
      `SELECT DISTINCT stage_id FROM promotion WHERE status = 'queued' AND stage_id IS NOT NULL`,
    );
    return rows.map((r) => r.stage_id);
  }

  running(): Promise<PromotionEntity[]> {
    return this.promotions.findBy({ status: 'running' });
  }

  /** Counts for the waiting gauge: open promotions by pipeline, stage and what they wait for. */
  async waitingCounts() {
    return queryRows<{ pipeline: string; stage: string; gate: string; n: string }>(
      this.dataSource,
      `SELECT p.name AS pipeline, pr.stage_name AS stage, g.gate, count(*) AS n
       FROM promotion pr JOIN pipeline p ON p.id = pr.pipeline_id
       CROSS JOIN LATERAL (
         SELECT elem->>'type' AS gate FROM jsonb_array_elements(pr.gates) elem
         WHERE pr.status = 'waiting' AND elem->>'status' = 'pending'
         UNION ALL SELECT 'turn' WHERE pr.status = 'queued'
       ) g
       WHERE pr.status IN ('waiting', 'queued')
       GROUP BY p.name, pr.stage_name, g.gate`,
    );
  }
}
