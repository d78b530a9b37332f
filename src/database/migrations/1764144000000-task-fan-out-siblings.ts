import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets a claim find, in one index lookup, the pending tasks that copy the same
 * artifact to a policy's other destinations, so they are claimed together and read
 * each blob from the source once (see TaskQueue.claim).
 */
export class TaskFanOutSiblings1764144000000 implements MigrationInterface {
  name = 'TaskFanOutSiblings1764144000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX task_pending_by_digest ON task (execution_id, digest) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX task_pending_by_digest');
  }
}
