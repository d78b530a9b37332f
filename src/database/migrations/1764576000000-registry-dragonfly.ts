import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A destination registry may name a Dragonfly manager to preheat what it receives. */
export class RegistryDragonfly1764576000000 implements MigrationInterface {
  name = 'RegistryDragonfly1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE registry ADD COLUMN dragonfly jsonb, ADD COLUMN dragonfly_token_sealed text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry DROP COLUMN dragonfly, DROP COLUMN dragonfly_token_sealed`);
  }
}
