import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { runPeriodically } from '../common/periodic.js';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from './audit.service.js';

/**
 * Deletes audit entries older than REGRELAY_AUDIT_RETENTION_DAYS, hourly (every
 * replica does; the deletes are idempotent).
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuditRetention');
  private stop: (() => void) | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    this.stop = runPeriodically(
      () => this.prune(),
      { everyMs: 3_600_000, firstAfterMs: 60_000 },
      (error) => this.logger.warn({ err: error }, 'Pruning the audit log failed'),
    );
  }

  onApplicationShutdown(): void {
    this.stop?.();
  }

  async prune(): Promise<number> {
    const deleted = await this.audit.prune(this.config.auditRetentionDays);
    if (deleted) this.logger.log({ deleted }, `Pruned ${deleted} audit entries`);
    return deleted;
  }
}
