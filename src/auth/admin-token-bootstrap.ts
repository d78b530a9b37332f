import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { ApiTokenEntity } from './api-token.entity.js';
import { ApiTokenService } from './api-token.service.js';
import { deliverGeneratedToken } from './initial-token-delivery.js';

/** Serialises the bootstrap across replicas starting at once (one generated token, not two). */
const BOOTSTRAP_LOCK = 7_301_942_119;

/**
 * Makes sure someone can administer regrelay:
 * - REGRELAY_ADMIN_TOKEN set: that value is an admin token (replacing the one an
 *   earlier value of the variable registered);
 * - unset, and no usable admin token exists (first start): one is generated, stored
 *   keyed, and handed to the operator outside the log stream (deliverGeneratedToken).
 * A token registered from the variable is revoked once the variable is removed or
 * changed. A value revoked that way comes back when the variable holds it again; a
 * value a person revoked over the API does not (it may have leaked): the start goes
 * on and says so.
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
      const rekeyed = await this.tokens.rekeyLegacy(manager);
      if (rekeyed) this.logger.log({ rekeyed }, `Re-keyed ${rekeyed} API token lookup value(s)`);
      const wanted = this.config.adminToken;
      await this.retireChangedEnvToken(manager, wanted);
      if (wanted) {
        await this.registerEnvToken(manager, wanted);
        return undefined;
      }
      const usableAdmins = await manager
        .getRepository(ApiTokenEntity)
        .createQueryBuilder('t')
        .where({ role: 'admin', revokedAt: IsNull() })
        .andWhere('(t.expires_at IS NULL OR t.expires_at > now())')
        .getCount();
      if (usableAdmins > 0) return undefined;
      return (await this.tokens.issue('initial admin', 'admin', 'generated', null, manager)).token;
    });
    if (generated) {
      const delivery = await deliverGeneratedToken(generated, this.config.dataDir);
      if (delivery.to === 'file')
        this.logger.warn(
          { path: delivery.path },
          `Generated the first admin API token and wrote it to ${delivery.path} (mode 0600): read it, store it, delete the file`,
        );
    }
  }

  /** Revokes the token an earlier value of the variable registered, if it changed. */
  private async retireChangedEnvToken(manager: EntityManager, wanted: string | undefined) {
    const current = await manager
      .getRepository(ApiTokenEntity)
      .createQueryBuilder('t')
      .addSelect('t.tokenHash')
      .where("t.source = 'env' AND t.revoked_at IS NULL")
      .getOne();
    if (!current || (wanted && current.tokenHash === this.tokens.lookupValue(wanted))) return;
    await this.tokens.revoke(current.id, 'bootstrap', manager);
    this.logger.log(
      wanted
        ? 'REGRELAY_ADMIN_TOKEN changed: the token it registered before is revoked'
        : 'REGRELAY_ADMIN_TOKEN is no longer set: the token it registered is revoked',
    );
  }

  private async registerEnvToken(manager: EntityManager, wanted: string): Promise<void> {
    const existing = await this.tokens.findByToken(manager, wanted);
    if (!existing) {
      await this.tokens.store(manager, 'REGRELAY_ADMIN_TOKEN', 'admin', 'env', wanted);
      this.logger.log('Admin token from REGRELAY_ADMIN_TOKEN registered');
      return;
    }
    if (existing.source === 'env' && !existing.revokedAt) return; // registered already
    if (existing.source === 'env' && existing.revokedBy === 'bootstrap') {
      await manager
        .getRepository(ApiTokenEntity)
        .update(existing.id, { revokedAt: null, revokedBy: null, role: 'admin' });
      this.logger.log('Admin token from REGRELAY_ADMIN_TOKEN registered again');
      return;
    }
    // Ids and names only: the value's lookup hash is as much a secret as the value.
    this.logger.warn(
      { tokenId: existing.id, tokenName: existing.name },
      existing.revokedAt
        ? `REGRELAY_ADMIN_TOKEN holds the value of token ${existing.id} ("${existing.name}"), which was revoked over the API; it stays revoked. Set REGRELAY_ADMIN_TOKEN to a new value.`
        : `REGRELAY_ADMIN_TOKEN holds the value of token ${existing.id} ("${existing.name}", ${existing.role}), issued over the API; it is not registered a second time. Set REGRELAY_ADMIN_TOKEN to a new value.`,
    );
  }
}
