import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook secrets on registries, and the inbox of registry notifications that
 * event-triggered policies run from.
 */
export class CreateEventInbox1764057600000 implements MigrationInterface {
  name = 'CreateEventInbox1764057600000';

  async up(q: QueryRunner): Promise<void> {
    // The secret is sealed (SecretBox); the hash is a lookup key, so an incoming
    // request finds its registry by one indexed equality.
    await q.query(`
      ALTER TABLE registry
        ADD COLUMN webhook_secret_sealed text,
        ADD COLUMN webhook_secret_hash text,
        ADD CONSTRAINT registry_webhook_secret_whole
          CHECK ((webhook_secret_sealed IS NULL) = (webhook_secret_hash IS NULL))`);
    await q.query(
      'CREATE UNIQUE INDEX registry_webhook_secret_hash ON registry (webhook_secret_hash)',
    );
    await q.query(`
      CREATE TABLE event_inbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        registry_id uuid NOT NULL REFERENCES registry(id) ON DELETE CASCADE,
        event_id text NOT NULL,
        format text NOT NULL CHECK (format IN ('distribution', 'harbor')),
        action text NOT NULL CHECK (action IN ('push', 'delete')),
        repository text NOT NULL,
        tag text,
        digest text,
        media_type text,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        execution_ids uuid[],
        CHECK (tag IS NOT NULL OR digest IS NOT NULL),
        CHECK ((processed_at IS NULL) = (execution_ids IS NULL))
      )`);
    // Redelivery of an event (same id from the same registry) is a no-op insert.
    await q.query(
      'CREATE UNIQUE INDEX event_inbox_event_id ON event_inbox (registry_id, event_id)',
    );
    await q.query(
      'CREATE INDEX event_inbox_unprocessed ON event_inbox (registry_id, id) WHERE processed_at IS NULL',
    );
    await q.query(
      'CREATE INDEX event_inbox_processed_at ON event_inbox (processed_at) WHERE processed_at IS NOT NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE event_inbox');
    await q.query('DROP INDEX registry_webhook_secret_hash');
    await q.query(`
      ALTER TABLE registry
        DROP CONSTRAINT registry_webhook_secret_whole,
        DROP COLUMN webhook_secret_hash,
        DROP COLUMN webhook_secret_sealed`);
  }
}
