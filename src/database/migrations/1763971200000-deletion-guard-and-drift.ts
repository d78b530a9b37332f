import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delete propagation and reconciliation: deletions held by the guard, per-policy
 * reconcile schedules, drift reports, and ticks of more than one kind of schedule.
 */
export class DeletionGuardAndDrift1763971200000 implements MigrationInterface {
  name = 'DeletionGuardAndDrift1763971200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE task DROP CONSTRAINT task_status_check');
    await q.query(`
      ALTER TABLE task ADD CONSTRAINT task_status_check
        CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'stopped', 'held'))`);
    await q.query(`ALTER TABLE policy ADD COLUMN reconcile_cron text DEFAULT '0 * * * *'`);
    await q.query('ALTER TABLE policy ADD COLUMN reconcile_repair boolean NOT NULL DEFAULT false');
    await q.query(`ALTER TABLE cron_tick ADD COLUMN kind text NOT NULL DEFAULT 'execution'`);
    await q.query('ALTER TABLE cron_tick DROP CONSTRAINT cron_tick_pkey');
    await q.query('ALTER TABLE cron_tick ADD PRIMARY KEY (policy_id, kind, tick_at)');
    await q.query(`
      CREATE TABLE drift_report (
        policy_id uuid NOT NULL REFERENCES policy(id) ON DELETE CASCADE,
        destination_registry_id uuid NOT NULL,
        checked_at timestamptz NOT NULL,
        missing integer NOT NULL,
        different integer NOT NULL,
        extra integer NOT NULL,
        unreadable integer NOT NULL,
        samples jsonb NOT NULL,
        repair_execution_id uuid,
        PRIMARY KEY (policy_id, destination_registry_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE drift_report');
    await q.query('ALTER TABLE cron_tick DROP CONSTRAINT cron_tick_pkey');
    await q.query(`DELETE FROM cron_tick WHERE kind <> 'execution'`);
    await q.query('ALTER TABLE cron_tick DROP COLUMN kind');
    await q.query('ALTER TABLE cron_tick ADD PRIMARY KEY (policy_id, tick_at)');
    await q.query('ALTER TABLE policy DROP COLUMN reconcile_repair');
    await q.query('ALTER TABLE policy DROP COLUMN reconcile_cron');
    await q.query(`UPDATE task SET status = 'skipped' WHERE status = 'held'`);
    await q.query('ALTER TABLE task DROP CONSTRAINT task_status_check');
    await q.query(`
      ALTER TABLE task ADD CONSTRAINT task_status_check
        CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'stopped'))`);
  }
}
