import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hosts other than the registry's own to which its token realm may send the
 * registry's credentials (Docker Hub, Alibaba ACR and other registries whose token
 * service lives elsewhere). Empty for existing rows: a realm on another host then
 * gets anonymous token requests only, until an operator lists it.
 */
export class RegistryTokenRealmHosts1764316800000 implements MigrationInterface {
  name = 'RegistryTokenRealmHosts1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry ADD COLUMN token_realm_hosts text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE registry DROP COLUMN token_realm_hosts');
  }
}
