import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Registries, policies, executions, tasks and the ledger of what regrelay wrote where. */
export class CreateReplicationSchema1763884800000 implements MigrationInterface {
  name = 'CreateReplicationSchema1763884800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        url text NOT NULL,
        username text,
        password_sealed text,
        insecure_tls boolean NOT NULL DEFAULT false,
        ca_cert text,
        max_concurrent_requests integer CHECK (max_concurrent_requests > 0),
        bandwidth_limit bigint CHECK (bandwidth_limit > 0),
        capabilities jsonb,
        capabilities_checked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE policy (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        source_registry_id uuid NOT NULL REFERENCES registry(id) ON DELETE RESTRICT,
        repositories text[] NOT NULL,
        exclude_repositories text[] NOT NULL DEFAULT '{}',
        tags text[] NOT NULL,
        exclude_tags text[] NOT NULL DEFAULT '{}',
        trigger_type text NOT NULL CHECK (trigger_type IN ('manual', 'cron', 'event')),
        trigger_cron text,
        override boolean NOT NULL DEFAULT false,
        deletion boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        max_concurrency integer CHECK (max_concurrency > 0),
        bandwidth_limit bigint CHECK (bandwidth_limit > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((trigger_type = 'cron') = (trigger_cron IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE policy_destination (
        policy_id uuid NOT NULL REFERENCES policy(id) ON DELETE CASCADE,
        position integer NOT NULL,
        registry_id uuid NOT NULL REFERENCES registry(id) ON DELETE RESTRICT,
        namespace text,
        PRIMARY KEY (policy_id, position)
      )`);
    await q.query('CREATE INDEX policy_destination_registry ON policy_destination (registry_id)');
    await q.query(`
      CREATE TABLE execution (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        policy_id uuid NOT NULL REFERENCES policy(id) ON DELETE CASCADE,
        trigger text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'stopped')),
        scope jsonb,
        planned boolean NOT NULL DEFAULT false,
        stop_requested boolean NOT NULL DEFAULT false,
        planning_error text,
        message text,
        lease_owner text,
        lease_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        ended_at timestamptz
      )`);
    // At most one execution of a policy runs, and at most one waits behind it: further
    // triggers coalesce into the waiting one. The database enforces it across replicas.
    await q.query(
      `CREATE UNIQUE INDEX execution_one_running ON execution (policy_id) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX execution_one_pending ON execution (policy_id) WHERE status = 'pending'`,
    );
    await q.query(
      'CREATE INDEX execution_policy_created ON execution (policy_id, created_at DESC)',
    );
    await q.query(
      `CREATE INDEX execution_active ON execution (status) WHERE status IN ('pending', 'running')`,
    );
    await q.query(`
      CREATE TABLE task (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        execution_id uuid NOT NULL REFERENCES execution(id) ON DELETE CASCADE,
        policy_id uuid NOT NULL,
        operation text NOT NULL CHECK (operation IN ('copy', 'delete')),
        destination_registry_id uuid NOT NULL,
        source_repository text NOT NULL,
        destination_repository text NOT NULL,
        tag text,
        digest text NOT NULL,
        media_type text,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'stopped')),
        reason text,
        attempts integer NOT NULL DEFAULT 0,
        bytes_total bigint NOT NULL DEFAULT 0,
        bytes_done bigint NOT NULL DEFAULT 0,
        not_before timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One task per (artifact, destination) within an execution; a re-plan after a crash
    // inserts only what is missing.
    await q.query(`
      CREATE UNIQUE INDEX task_identity ON task
        (execution_id, destination_registry_id, destination_repository, (coalesce(tag, digest)), operation)`);
    await q.query(
      `CREATE INDEX task_claimable ON task (policy_id, seq) WHERE status IN ('pending', 'running')`,
    );
    await q.query('CREATE INDEX task_execution_status ON task (execution_id, status)');
    await q.query(`
      CREATE TABLE ledger (
        policy_id uuid NOT NULL REFERENCES policy(id) ON DELETE CASCADE,
        destination_registry_id uuid NOT NULL,
        repository text NOT NULL,
        tag text NOT NULL,
        digest text NOT NULL,
        source_repository text NOT NULL,
        source_digest text NOT NULL,
        execution_id uuid,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (policy_id, destination_registry_id, repository, tag)
      )`);
    await q.query(`
      CREATE TABLE cron_tick (
        policy_id uuid NOT NULL REFERENCES policy(id) ON DELETE CASCADE,
        tick_at timestamptz NOT NULL,
        execution_id uuid,
        PRIMARY KEY (policy_id, tick_at)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'cron_tick',
      'ledger',
      'task',
      'execution',
      'policy_destination',
      'policy',
      'registry',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
