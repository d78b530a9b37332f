import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Topologies and promotion stages own executions too. */
export class OwnerKindsTopologyPromotion1764230400001 implements MigrationInterface {
  name = 'OwnerKindsTopologyPromotion1764230400001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE execution DROP CONSTRAINT execution_owner_kind');
    await q.query(`
      ALTER TABLE execution ADD CONSTRAINT execution_owner_kind
        CHECK (owner_kind IN ('policy', 'copy', 'topology', 'promotion'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM execution WHERE owner_kind IN ('topology', 'promotion')`);
    await q.query('ALTER TABLE execution DROP CONSTRAINT execution_owner_kind');
    await q.query(
      `ALTER TABLE execution ADD CONSTRAINT execution_owner_kind CHECK (owner_kind IN ('policy', 'copy'))`,
    );
  }
}
