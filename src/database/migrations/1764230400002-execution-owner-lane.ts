import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An owner's executions may run in lanes: a tree topology runs one per edge (each
 * parent delivering to its children), so a level starts as soon as its parent has an
 * artifact instead of waiting behind the whole topology. One runs and one waits per
 * (owner, lane); policies and copies use the default lane ('').
 */
export class ExecutionOwnerLane1764230400002 implements MigrationInterface {
  name = 'ExecutionOwnerLane1764230400002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE execution ADD COLUMN owner_lane text NOT NULL DEFAULT ''`);
    await q.query('DROP INDEX execution_one_running');
    await q.query('DROP INDEX execution_one_pending');
    await q.query(
      `CREATE UNIQUE INDEX execution_one_running ON execution (owner_kind, owner_id, owner_lane) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX execution_one_pending ON execution (owner_kind, owner_id, owner_lane) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM execution WHERE owner_lane <> ''`);
    await q.query('DROP INDEX execution_one_running');
    await q.query('DROP INDEX execution_one_pending');
    await q.query('ALTER TABLE execution DROP COLUMN owner_lane');
    await q.query(
      `CREATE UNIQUE INDEX execution_one_running ON execution (owner_kind, owner_id) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX execution_one_pending ON execution (owner_kind, owner_id) WHERE status = 'pending'`,
    );
  }
}
