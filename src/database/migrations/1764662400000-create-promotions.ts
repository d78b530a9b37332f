import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Promotion pipelines: pipelines of ordered stages, promotions (with their gates and
 * evidence, kept without limit), approvals, when each digest arrived in each stage,
 * and rollback holds on auto-promotion.
 */
export class CreatePromotions1764662400000 implements MigrationInterface {
  name = 'CreatePromotions1764662400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pipeline (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A registry a stage uses cannot be deleted (RegistriesService asks first; RESTRICT backs it).
    await q.query(`
      CREATE TABLE stage (
        id uuid PRIMARY KEY,
        pipeline_id uuid NOT NULL REFERENCES pipeline(id) ON DELETE CASCADE,
        position integer NOT NULL,
        name text NOT NULL,
        registry_id uuid NOT NULL REFERENCES registry(id) ON DELETE RESTRICT,
        repository text NOT NULL,
        immutable_tags text[] NOT NULL DEFAULT '{}',
        gates jsonb NOT NULL DEFAULT '[]',
        auto_promote boolean NOT NULL DEFAULT false,
        UNIQUE (pipeline_id, name)
      )`);
    await q.query('CREATE INDEX stage_registry ON stage (registry_id)');
    // Stages removed from a pipeline keep their history: the names are copied onto each row.
    await q.query(`
      CREATE TABLE promotion (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        pipeline_id uuid NOT NULL REFERENCES pipeline(id) ON DELETE CASCADE,
        stage_id uuid REFERENCES stage(id) ON DELETE SET NULL,
        stage_name text NOT NULL,
        source_stage_id uuid REFERENCES stage(id) ON DELETE SET NULL,
        source_stage_name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('promote', 'auto', 'rollback')),
        repository text NOT NULL,
        source_registry_id uuid NOT NULL,
        source_repository text NOT NULL,
        destination_registry_id uuid NOT NULL,
        destination_repository text NOT NULL,
        digest text NOT NULL,
        media_type text,
        requested_tag text,
        tag text,
        previous_digest text,
        requested_by_token_id uuid,
        requested_by text NOT NULL,
        reason text,
        forced boolean NOT NULL DEFAULT false,
        force_reason text,
        immutable boolean NOT NULL DEFAULT false,
        status text NOT NULL CHECK (status IN ('waiting', 'queued', 'running', 'succeeded', 'failed', 'refused')),
        gates jsonb NOT NULL DEFAULT '[]',
        message text,
        execution_id uuid,
        bytes_moved bigint NOT NULL DEFAULT 0,
        leaves jsonb NOT NULL DEFAULT '[]',
        next_evaluation_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        queued_at timestamptz,
        started_at timestamptz,
        ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One promotion copies into a stage at a time, across every replica.
    await q.query(
      `CREATE UNIQUE INDEX promotion_one_running_per_stage ON promotion (stage_id) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE INDEX promotion_open ON promotion (stage_id, seq) WHERE status IN ('waiting', 'queued', 'running')`,
    );
    await q.query('CREATE INDEX promotion_history ON promotion (pipeline_id, repository, seq)');
    await q.query('CREATE INDEX promotion_execution ON promotion (execution_id)');
    await q.query(`
      CREATE TABLE promotion_decision (
        promotion_id uuid NOT NULL REFERENCES promotion(id) ON DELETE CASCADE,
        token_id uuid NOT NULL,
        name text NOT NULL,
        role text NOT NULL,
        decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
        comment text,
        decided_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (promotion_id, token_id)
      )`);
    await q.query(`
      CREATE TABLE stage_digest (
        stage_id uuid NOT NULL REFERENCES stage(id) ON DELETE CASCADE,
        repository text NOT NULL,
        digest text NOT NULL,
        arrived_at timestamptz NOT NULL,
        how text NOT NULL CHECK (how IN ('promotion', 'rollback', 'event', 'observed')),
        promotion_id uuid,
        PRIMARY KEY (stage_id, repository, digest)
      )`);
    // Holds are kept after release: an arrival is judged by whether a hold stood then.
    await q.query(`
      CREATE TABLE promotion_hold (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stage_id uuid NOT NULL REFERENCES stage(id) ON DELETE CASCADE,
        repository text NOT NULL,
        promotion_id uuid NOT NULL,
        held_by text NOT NULL,
        held_at timestamptz NOT NULL,
        released_by text,
        released_at timestamptz,
        CHECK ((released_at IS NULL) = (released_by IS NULL))
      )`);
    await q.query(
      'CREATE UNIQUE INDEX promotion_hold_active ON promotion_hold (stage_id, repository) WHERE released_at IS NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'promotion_hold',
      'stage_digest',
      'promotion_decision',
      'promotion',
      'stage',
      'pipeline',
    ])
      await q.query(`DROP TABLE ${table}`);
  }
}
