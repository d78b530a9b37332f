import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from './audit.service.js';

const EVERY_MS = 3_600_000;
const FIRST_AFTER_MS = 60_000;

/**
 * Deletes audit entries older than REGRELAY_AUDIT_RETENTION_DAYS, hourly (every
 * replica does; the deletes are idempotent).
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuditRetention');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    const run = () =>
      void this.prune().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Pruning the audit log failed'),
      );
    this.timers = [setTimeout(run, FIRST_AFTER_MS), setInterval(run, EVERY_MS)];
    for (const t of this.timers) t.unref();
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  async prune(): Promise<number> {
    const deleted = await this.audit.prune(this.config.auditRetentionDays);
    if (deleted) this.logger.log({ deleted }, `Pruned ${deleted} audit entries`);
    return deleted;
  }
}
