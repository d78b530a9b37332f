import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The engine stops assuming one policy with one source:
 * - executions belong to an owner (kind + id: a policy today; one-off copies,
 *   topologies and promotions next), coalesce and run one at a time per owner, and
 *   carry the settings their tasks run with (override, bandwidth, concurrency);
 * - tasks carry their own source registry, so one execution may copy from several;
 * - the ledger is keyed by destination tag, not by policy: "did regrelay write this
 *   tag here, with this digest, from where, for whom?" is one primary-key lookup.
 *   Where two policies wrote the same destination tag, the latest write is kept.
 *   `source_digest` goes: it always equalled `digest`.
 */
export class ExecutionOwnersAndPairLedger1764230400000 implements MigrationInterface {
  name = 'ExecutionOwnersAndPairLedger1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE execution
        ADD COLUMN owner_kind text,
        ADD COLUMN owner_id uuid,
        ADD COLUMN reason text,
        ADD COLUMN override boolean NOT NULL DEFAULT false,
        ADD COLUMN bandwidth_limit bigint CHECK (bandwidth_limit > 0),
        ADD COLUMN max_concurrency integer CHECK (max_concurrency > 0)`);
    await q.query(`
      UPDATE execution e SET owner_kind = 'policy', owner_id = e.policy_id,
             override = p.override, bandwidth_limit = p.bandwidth_limit, max_concurrency = p.max_concurrency
      FROM policy p WHERE p.id = e.policy_id`);
    await q.query(`
      ALTER TABLE execution
        ALTER COLUMN owner_kind SET NOT NULL,
        ALTER COLUMN owner_id SET NOT NULL,
        ADD CONSTRAINT execution_owner_kind CHECK (owner_kind IN ('policy', 'copy'))`);

    await q.query('ALTER TABLE task ADD COLUMN source_registry_id uuid');
    await q.query(`
      UPDATE task t SET source_registry_id = p.source_registry_id
      FROM policy p WHERE p.id = t.policy_id`);
    // A task whose policy is gone has no execution either (cascade); none is left unset.
    await q.query('ALTER TABLE task ALTER COLUMN source_registry_id SET NOT NULL');

    await q.query('DROP INDEX execution_one_running');
    await q.query('DROP INDEX execution_one_pending');
    await q.query('DROP INDEX execution_policy_created');
    await q.query('DROP INDEX task_claimable');
    await q.query('ALTER TABLE task DROP COLUMN policy_id');
    // Executions of a deleted policy are removed by the replication module itself now
    // that an execution may belong to something other than a policy.
    await q.query('ALTER TABLE execution DROP COLUMN policy_id');
    // At most one execution of an owner runs, and at most one waits behind it.
    await q.query(
      `CREATE UNIQUE INDEX execution_one_running ON execution (owner_kind, owner_id) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX execution_one_pending ON execution (owner_kind, owner_id) WHERE status = 'pending'`,
    );
    await q.query(
      'CREATE INDEX execution_owner_created ON execution (owner_kind, owner_id, created_at DESC)',
    );
    await q.query('CREATE INDEX execution_created ON execution (created_at DESC)');
    await q.query(
      `CREATE INDEX task_claimable ON task (execution_id, seq) WHERE status IN ('pending', 'running')`,
    );

    await q.query('ALTER TABLE ledger RENAME TO ledger_by_policy');
    await q.query(
      'ALTER TABLE ledger_by_policy RENAME CONSTRAINT ledger_pkey TO ledger_by_policy_pkey',
    );
    await q.query(`
      CREATE TABLE ledger (
        destination_registry_id uuid NOT NULL,
        repository text NOT NULL,
        tag text NOT NULL,
        digest text NOT NULL,
        origin_registry_id uuid NOT NULL,
        origin_repository text NOT NULL,
        owner_kind text NOT NULL,
        owner_id uuid NOT NULL,
        execution_id uuid,
        written_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_pkey PRIMARY KEY (destination_registry_id, repository, tag)
      )`);
    // Delete propagation asks per owner and origin repository.
    await q.query(
      'CREATE INDEX ledger_owner_origin ON ledger (owner_kind, owner_id, origin_repository)',
    );
    await q.query(`
      INSERT INTO ledger (destination_registry_id, repository, tag, digest, origin_registry_id,
                          origin_repository, owner_kind, owner_id, execution_id, written_at)
      SELECT DISTINCT ON (l.destination_registry_id, l.repository, l.tag)
             l.destination_registry_id, l.repository, l.tag, l.digest, p.source_registry_id,
             l.source_repository, 'policy', l.policy_id, l.execution_id, l.written_at
      FROM ledger_by_policy l JOIN policy p ON p.id = l.policy_id
      ORDER BY l.destination_registry_id, l.repository, l.tag, l.written_at DESC`);
    await q.query('DROP TABLE ledger_by_policy');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_by_policy (
        policy_id uuid NOT NULL REFERENCES policy(id) ON DELETE CASCADE,
        destination_registry_id uuid NOT NULL,
        repository text NOT NULL,
        tag text NOT NULL,
        digest text NOT NULL,
        source_repository text NOT NULL,
        source_digest text NOT NULL,
        execution_id uuid,
        written_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_by_policy_pkey PRIMARY KEY (policy_id, destination_registry_id, repository, tag)
      )`);
    await q.query(`
      INSERT INTO ledger_by_policy
      SELECT owner_id, destination_registry_id, repository, tag, digest, origin_repository, digest,
             execution_id, written_at
      FROM ledger l WHERE owner_kind = 'policy' AND EXISTS (SELECT 1 FROM policy p WHERE p.id = l.owner_id)`);
    await q.query('DROP TABLE ledger');
    await q.query('ALTER TABLE ledger_by_policy RENAME TO ledger');
    await q.query('ALTER TABLE ledger RENAME CONSTRAINT ledger_by_policy_pkey TO ledger_pkey');

    // Executions of other owners cannot be expressed before this migration.
    await q.query(
      `DELETE FROM execution e WHERE owner_kind <> 'policy' OR NOT EXISTS (SELECT 1 FROM policy p WHERE p.id = e.owner_id)`,
    );
    await q.query('DROP INDEX task_claimable');
    await q.query('DROP INDEX execution_created');
    await q.query('DROP INDEX execution_owner_created');
    await q.query('DROP INDEX execution_one_pending');
    await q.query('DROP INDEX execution_one_running');
    await q.query(
      'ALTER TABLE execution ADD COLUMN policy_id uuid REFERENCES policy(id) ON DELETE CASCADE',
    );
    await q.query('UPDATE execution SET policy_id = owner_id');
    await q.query('ALTER TABLE execution ALTER COLUMN policy_id SET NOT NULL');
    await q.query('ALTER TABLE task ADD COLUMN policy_id uuid');
    await q.query(
      'UPDATE task t SET policy_id = e.policy_id FROM execution e WHERE e.id = t.execution_id',
    );
    await q.query('ALTER TABLE task ALTER COLUMN policy_id SET NOT NULL');
    await q.query('ALTER TABLE task DROP COLUMN source_registry_id');
    await q.query(`
      ALTER TABLE execution DROP CONSTRAINT execution_owner_kind,
        DROP COLUMN owner_kind, DROP COLUMN owner_id, DROP COLUMN reason, DROP COLUMN override,
        DROP COLUMN bandwidth_limit, DROP COLUMN max_concurrency`);
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
      `CREATE INDEX task_claimable ON task (policy_id, seq) WHERE status IN ('pending', 'running')`,
    );
  }
}
