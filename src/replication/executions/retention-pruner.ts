import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { queryRows } from '../../database/sql.js';

const EVERY_MS = 3_600_000;
const FIRST_AFTER_MS = 60_000;

/**
 * Deletes finished executions (and their tasks) beyond the newest
 * REGRELAY_EXECUTION_RETENTION_COUNT per owner (a policy; each one-off copy is its
 * own owner, so copies go by age) or older than REGRELAY_EXECUTION_RETENTION_DAYS.
 * Active executions are never pruned; the ledger is not touched (it records what is
 * at the destinations, not history).
 */
@Injectable()
export class RetentionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionPruner.name);
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    const run = () =>
      void this.prune().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Pruning failed'),
      );
    this.timers = [setTimeout(run, FIRST_AFTER_MS), setInterval(run, EVERY_MS)];
    for (const t of this.timers) t.unref();
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  /** Returns how many executions were deleted. */
  async prune(): Promise<number> {
    const deleted = await queryRows<{ id: string }>(
      this.dataSource,
      `DELETE FROM execution WHERE id IN (
         SELECT id FROM (
           SELECT id, created_at,
                  row_number() OVER (PARTITION BY owner_kind, owner_id, owner_lane ORDER BY created_at DESC) AS newest
           FROM execution WHERE status NOT IN ('pending', 'running')
         ) ranked
         WHERE newest > $1 OR created_at < now() - make_interval(days => $2)
       ) RETURNING id`,
      [this.config.executionRetentionCount, this.config.executionRetentionDays],
    );
    await queryRows(
      this.dataSource,
      `DELETE FROM cron_tick WHERE tick_at < now() - interval '7 days'`,
    );
    if (deleted.length) this.logger.log({ deleted: deleted.length }, 'Pruned old executions');
    return deleted.length;
  }
}
