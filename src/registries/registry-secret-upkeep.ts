import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { ResealResult } from '../secrets/key-rotation.js';
import { LookupKeys } from '../secrets/lookup-keys.js';
import { SecretBox, SecretUnreadableError } from '../secrets/secret-box.js';
import {
  dragonflyTokenContext,
  RegistriesService,
  webhookSecretContext,
} from './registries.service.js';
import { RegistryEntity } from './registry.entity.js';
import { passwordContext } from './registry-password.js';

/**
 * Keeps the registry table's secrets current with the server's keys: webhook secret
 * lookup values from before lookups were keyed are re-keyed (at start), and values
 * sealed with a previous REGRELAY_SECRET_KEY are sealed again with the current one
 * (the KeyRotation pass). Plain SQL with compare-and-set: neither is a change of the
 * registry (updated_at stays), and a value changed meanwhile is newer than ours.
 */
@Injectable()
export class RegistrySecretUpkeep {
  constructor(
    @InjectRepository(RegistryEntity) private readonly registries: Repository<RegistryEntity>,
    private readonly service: RegistriesService,
    private readonly secrets: SecretBox,
    private readonly lookupKeys: LookupKeys,
  ) {}

  /** Webhook lookup values still a bare SHA-256 become their HMAC form; returns how many. */
  async rekeyLegacyWebhookLookups(): Promise<number> {
    const legacy = await queryRows<{ id: string; hash: string }>(
      this.registries.manager,
      `SELECT id, webhook_secret_hash AS hash FROM registry
       WHERE webhook_secret_hash IS NOT NULL AND webhook_secret_hash NOT LIKE 'hmac:%'`,
    );
    for (const row of legacy) {
      await queryRows(
        this.registries.manager,
        'UPDATE registry SET webhook_secret_hash = $1 WHERE id = $2 AND webhook_secret_hash = $3',
        [this.lookupKeys.keyed('webhook-secret', row.hash), row.id, row.hash],
      );
    }
    return legacy.length;
  }

  /** Key rotation: seals again, with the current key, what an older key sealed. */
  async resealStaleSecrets(): Promise<ResealResult> {
    // Passwords from before origin binding first: they open under the legacy context only.
    await this.service.resealLegacyPasswords();
    const result: ResealResult = { resealed: 0, unreadable: [] };
    for (const registry of await this.registries.find()) {
      const sealedValues = [
        ['password_sealed', 'password', registry.passwordSealed, passwordContext(registry)],
        [
          'webhook_secret_sealed',
          'webhook secret',
          registry.webhookSecretSealed,
          webhookSecretContext(registry.id),
        ],
        [
          'dragonfly_token_sealed',
          'Dragonfly token',
          registry.dragonflyTokenSealed,
          dragonflyTokenContext(registry.id),
        ],
      ] as const;
      for (const [column, label, sealed, context] of sealedValues) {
        if (!sealed || !this.secrets.isStale(sealed)) continue;
        try {
          const updated = await queryRows(
            this.registries.manager,
            `UPDATE registry SET ${column} = $1 WHERE id = $2 AND ${column} = $3 RETURNING id`,
            [this.secrets.reseal(sealed, context), registry.id, sealed],
          );
          result.resealed += updated.length;
        } catch (error) {
          if (!(error instanceof SecretUnreadableError)) throw error;
          result.unreadable.push(`registry "${registry.name}" ${label}: ${error.message}`);
        }
      }
    }
    return result;
  }
}
