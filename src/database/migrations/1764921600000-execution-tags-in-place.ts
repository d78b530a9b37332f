import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tags planning finds already in place at a destination are counted on their
 * execution instead of each getting a skipped task row: a no-op resync of 100,000
 * tags wrote 100,000 rows only to count them.
 */
export class ExecutionTagsInPlace1764921600000 implements MigrationInterface {
  name = 'ExecutionTagsInPlace1764921600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE execution ADD COLUMN in_place integer NOT NULL DEFAULT 0 CHECK (in_place >= 0)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // The older schema counts only rows: executions since then lose their in-place count.
    await q.query('ALTER TABLE execution DROP COLUMN in_place');
  }
}
