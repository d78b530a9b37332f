import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every change made over the API: who, what, on which resource, before and after. */
export class CreateAuditLog1764403200001 implements MigrationInterface {
  name = 'CreateAuditLog1764403200001';

  async up(q: QueryRunner): Promise<void> {
    // No foreign keys: entries outlive the tokens and resources they name.
    await q.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor_token_id uuid,
        actor_name text NOT NULL,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        before jsonb,
        after jsonb,
        request_id text
      )`);
    await q.query(
      'CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, at DESC)',
    );
    await q.query('CREATE INDEX audit_log_actor ON audit_log (actor_token_id, at DESC)');
    await q.query('CREATE INDEX audit_log_at ON audit_log (at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_log');
  }
}
