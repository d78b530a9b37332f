import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { ApiTokenEntity } from './api-token.entity.js';
import { ApiTokenService } from './api-token.service.js';
import { hashToken } from './token-format.js';

/** Serialises the bootstrap across replicas starting at once (one generated token, not two). */
const BOOTSTRAP_LOCK = 7_301_942_119;

/**
 * Makes sure someone can administer regrelay:
 * - REGRELAY_ADMIN_TOKEN set: that value is an admin token (replacing the one an
 *   earlier value of the variable registered);
 * - unset, and no usable admin token exists (first start): one is generated, stored
 *   hashed, and printed once on stdout.
 * A token registered from the variable is revoked once the variable is removed.
 */
@Injectable()
export class AdminTokenBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminTokenBootstrap.name);

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: ApiTokenService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const generated = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      const repo = manager.getRepository(ApiTokenEntity);
      const fromEnv = await repo
        .createQueryBuilder('t')
        .addSelect('t.tokenHash')
        .where("t.source = 'env' AND t.revoked_at IS NULL")
        .getOne();
      const wanted = this.config.adminToken;
      if (fromEnv && (!wanted || fromEnv.tokenHash !== hashToken(wanted))) {
        await repo.update(fromEnv.id, { revokedAt: new Date() });
        this.logger.log(
          wanted
            ? 'REGRELAY_ADMIN_TOKEN changed: the token it registered before is revoked'
            : 'REGRELAY_ADMIN_TOKEN is no longer set: the token it registered is revoked',
        );
      }
      if (wanted) {
        if (!fromEnv || fromEnv.tokenHash !== hashToken(wanted)) {
          await this.tokens.store(manager, 'REGRELAY_ADMIN_TOKEN', 'admin', 'env', wanted);
          this.logger.log('Admin token from REGRELAY_ADMIN_TOKEN registered');
        }
        return undefined;
      }
      const usableAdmins = await repo
        .createQueryBuilder('t')
        .where({ role: 'admin', revokedAt: IsNull() })
        .andWhere('(t.expires_at IS NULL OR t.expires_at > now())')
        .getCount();
      if (usableAdmins > 0) return undefined;
      return (await this.tokens.issue('initial admin', 'admin', 'generated', null, manager)).token;
    });
    if (generated) {
      // Deliberately not through the logger: log pipelines keep records for a long
      // time and redact tokens. This is the one moment the operator can copy it.
      process.stdout.write(
        `\nregrelay: generated the first admin API token (shown once, store it now):\n\n  ${generated}\n\n` +
          'Use it as "Authorization: Bearer <token>". Set REGRELAY_ADMIN_TOKEN to choose your own.\n\n',
      );
    }
  }
}
