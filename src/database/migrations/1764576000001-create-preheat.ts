import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per image an execution delivered to a registry with a Dragonfly manager
 * (and per platform asked for). The unique key is the claim: the replica whose INSERT
 * creates the row sends that preheat, so replicas hearing the same execution.finished
 * never send it twice. A lease lets another replica finish what a dead one started.
 */
export class CreatePreheat1764576000001 implements MigrationInterface {
  name = 'CreatePreheat1764576000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE preheat (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        execution_id uuid NOT NULL REFERENCES execution (id) ON DELETE CASCADE,
        registry_id uuid NOT NULL REFERENCES registry (id) ON DELETE CASCADE,
        repository text NOT NULL,
        digest text NOT NULL,
        platform text NOT NULL DEFAULT '',
        manifest_url text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        job_id bigint,
        job_state text,
        attempts integer NOT NULL DEFAULT 0,
        error text,
        peers_succeeded integer,
        peers_failed integer,
        lease_owner text,
        lease_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        CONSTRAINT preheat_one_per_image UNIQUE (execution_id, registry_id, repository, digest, platform)
      )`);
    await q.query(
      `CREATE INDEX preheat_open ON preheat (lease_expires_at) WHERE status IN ('pending', 'running')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE preheat');
  }
}
