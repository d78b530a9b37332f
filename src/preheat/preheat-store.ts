import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, type DataSource, type Repository } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { PreheatEntity } from './preheat.entity.js';

/** A preheat to create: the image, where it lives, and the platform asked for. */
export interface NewPreheat {
  executionId: string;
  registryId: string;
  repository: string;
  digest: string;
  platform: string;
  manifestUrl: string;
}

export type PreheatUpdate = Partial<
  Pick<
    PreheatEntity,
    | 'status'
    | 'jobId'
    | 'jobState'
    | 'attempts'
    | 'error'
    | 'peersSucceeded'
    | 'peersFailed'
    | 'leaseExpiresAt'
    | 'endedAt'
  >
>;

/**
 * The preheat table. Rows are claimed with leases: inserting a row claims it (the
 * unique key turns the same INSERT on another replica into nothing); a row whose lease
 * expired, because its replica stopped or it waits for a retry, is claimed again.
 */
@Injectable()
export class PreheatStore {
  constructor(
    @InjectRepository(PreheatEntity) private readonly preheats: Repository<PreheatEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Inserts the rows no replica created yet, leased to `owner`; returns those. */
  async claimNew(rows: NewPreheat[], owner: string, leaseMs: number): Promise<PreheatEntity[]> {
    if (!rows.length) return [];
    // One order everywhere: a replica inserting the same rows waits on the first one,
    // then skips them all, instead of the two splitting the work.
    const sorted = [...rows].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const result = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(PreheatEntity)
      .values(
        sorted.map((r) => ({
          ...r,
          status: 'pending' as const,
          leaseOwner: owner,
          leaseExpiresAt: () => `now() + interval '${Math.round(leaseMs)} milliseconds'`,
        })),
      )
      .orIgnore()
      .returning(['id'])
      .execute();
    const ids = (result.raw as { id: string }[]).map((r) => r.id);
    return ids.length ? this.preheats.findBy({ id: In(ids) }) : [];
  }

  /**
   * Lets the next sweep take at once the open rows leased to owners whose id starts
   * with `prefix` other than `self`: a dead predecessor's (see InstanceId).
   */
  async takeOverFrom(prefix: string, self: string): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE preheat SET lease_expires_at = now() - interval '1 second', updated_at = now()
       WHERE status IN ('pending', 'running') AND starts_with(lease_owner, $1) AND lease_owner <> $2
         AND lease_expires_at > now()
       RETURNING id`,
      [prefix, self],
    );
    return rows.length;
  }

  /** Takes over open rows whose lease has expired (oldest first), up to `limit`. */
  async claimDue(owner: string, leaseMs: number, limit: number): Promise<PreheatEntity[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `UPDATE preheat SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::float8 / 1000),
              updated_at = now()
       WHERE id IN (SELECT id FROM preheat
                    WHERE status IN ('pending', 'running') AND lease_expires_at < now()
                    ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [owner, leaseMs, limit],
    );
    return rows.length ? this.preheats.findBy({ id: In(rows.map((r) => r.id)) }) : [];
  }

  /** Renews the lease; false when another replica took the row over meanwhile. */
  async renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE preheat SET lease_expires_at = now() + make_interval(secs => $3::float8 / 1000), updated_at = now()
       WHERE id = $1 AND lease_owner = $2 RETURNING id`,
      [id, owner, leaseMs],
    );
    return rows.length > 0;
  }

  /** Updates a row this replica holds; false when it no longer does. */
  async update(id: string, owner: string, fields: PreheatUpdate): Promise<boolean> {
    const result = await this.preheats.update({ id, leaseOwner: owner }, fields);
    return (result.affected ?? 0) > 0;
  }

  listFor(executionId: string): Promise<PreheatEntity[]> {
    return this.preheats.find({
      where: { executionId },
      order: { createdAt: 'ASC', repository: 'ASC', platform: 'ASC' },
    });
  }

  /** How an execution's preheats stand: open ones, and the failed ones. */
  async standing(executionId: string): Promise<{ open: number; failed: number; total: number }> {
    const [row] = await queryRows<{ open: number; failed: number; total: number }>(
      this.dataSource,
      `SELECT count(*) FILTER (WHERE status IN ('pending', 'running'))::int AS open,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*)::int AS total
       FROM preheat WHERE execution_id = $1`,
      [executionId],
    );
    return row ?? { open: 0, failed: 0, total: 0 };
  }
}

function keyOf(r: NewPreheat): string {
  return [r.registryId, r.repository, r.digest, r.platform].join('\u0000');
}
