import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A copy task remembers that its destination repository listed no tags when it was
 * planned: its first attempt then uploads blobs without asking about each first (a
 * new repository holds none of them; asking cost three of a small image's sixteen
 * requests). Existing tasks keep asking.
 */
export class TaskDestinationEmpty1765008000000 implements MigrationInterface {
  name = 'TaskDestinationEmpty1765008000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE task ADD COLUMN destination_empty boolean NOT NULL DEFAULT false');
  }

  async down(q: QueryRunner): Promise<void> {
    // Only a hint: without it every blob is asked about, as before.
    await q.query('ALTER TABLE task DROP COLUMN destination_empty');
  }
}
