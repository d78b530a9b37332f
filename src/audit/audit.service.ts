import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { MetricsService } from '../observability/metrics.service.js';
import { AuditLogEntity } from './audit-log.entity.js';
import { auditState } from './audit-redaction.js';

export interface AuditChange {
  actorTokenId: string | null;
  actorName: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export interface AuditFilter {
  resourceType?: string;
  resourceId?: string;
  /** A token id, or a token name as it was when the change was made. */
  actor?: string;
  limit: number;
  offset: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows deleted per statement while pruning, so one prune never holds long locks. */
const PRUNE_BATCH = 10_000;
const MAX_PRUNE_BATCHES = 1_000;

@Injectable()
export class AuditService {
  private readonly writeFailures;

  constructor(
    @InjectRepository(AuditLogEntity) private readonly entries: Repository<AuditLogEntity>,
    metrics: MetricsService,
  ) {
    this.writeFailures = metrics.counter({
      name: 'regrelay_audit_write_failures_total',
      help: 'Changes made over the API whose audit entry could not be stored.',
    });
  }

  /** A change went through but its entry could not be stored (the caller logs why). */
  countWriteFailure(): void {
    this.writeFailures.inc();
  }

  /** Stores one change; before and after are redacted here, whoever calls. */
  async record(change: AuditChange): Promise<AuditLogEntity> {
    return this.entries.save(
      this.entries.create({
        ...change,
        before: auditState(change.before),
        after: auditState(change.after),
      }),
    );
  }

  /** Entries newest first, with the total that matches the filter. */
  async list(filter: AuditFilter): Promise<{ items: AuditLogEntity[]; total: number }> {
    const query = this.entries.createQueryBuilder('a');
    if (filter.resourceType)
      query.andWhere('a.resource_type = :type', { type: filter.resourceType });
    if (filter.resourceId) query.andWhere('a.resource_id = :id', { id: filter.resourceId });
    if (filter.actor)
      query.andWhere(
        UUID.test(filter.actor) ? 'a.actor_token_id = :actor' : 'a.actor_name = :actor',
        { actor: filter.actor },
      );
    const [items, total] = await query
      .orderBy('a.at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { items, total };
  }

  /** Deletes entries older than `days`; returns how many. */
  async prune(days: number): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < MAX_PRUNE_BATCHES; batch++) {
      const rows = await queryRows(
        this.entries.manager.connection,
        `DELETE FROM audit_log WHERE id IN (
           SELECT id FROM audit_log WHERE at < now() - make_interval(days => $1) LIMIT $2
         ) RETURNING id`,
        [days, PRUNE_BATCH],
      );
      deleted += rows.length;
      if (rows.length < PRUNE_BATCH) break;
    }
    return deleted;
  }
}
