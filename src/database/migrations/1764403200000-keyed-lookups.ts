import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API token and webhook secret lookups keyed by a server secret (HMAC-SHA256), and
 * no stored part of a chosen token.
 *
 * A migration cannot compute the new lookup values: the key is sealed under
 * REGRELAY_SECRET_KEY, which only the running service holds. So rows keep their
 * bare SHA-256 values here, and the service re-keys them once at its next start
 * (`hmac:<hex>` values are the re-keyed ones; until then both forms are looked up).
 */
export class KeyedLookups1764403200000 implements MigrationInterface {
  name = 'KeyedLookups1764403200000';

  async up(q: QueryRunner): Promise<void> {
    // One row: the random root the lookup keys derive from, sealed (SecretBox).
    await q.query(`
      CREATE TABLE lookup_key (
        id text PRIMARY KEY CHECK (id = 'root'),
        key_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The stored prefix was the first characters of the token itself: for a token the
    // operator chose (REGRELAY_ADMIN_TOKEN), part of a password. Dropped; the start-up
    // re-key writes a hint that reveals nothing.
    await q.query('ALTER TABLE api_token RENAME COLUMN token_prefix TO token_hint');
    await q.query('ALTER TABLE api_token ALTER COLUMN token_hint DROP NOT NULL');
    await q.query('UPDATE api_token SET token_hint = NULL');
    // Who revoked: a person over the API, or regrelay when REGRELAY_ADMIN_TOKEN changed.
    // Only the latter may be brought back by setting the variable to that value again.
    await q.query(`
      ALTER TABLE api_token ADD COLUMN revoked_by text
        CHECK (revoked_by IN ('api', 'bootstrap'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Re-keyed (hmac:) values stay as they are: only the service could undo them.
    await q.query('ALTER TABLE api_token DROP COLUMN revoked_by');
    await q.query(`UPDATE api_token SET token_hint = '' WHERE token_hint IS NULL`);
    await q.query('ALTER TABLE api_token ALTER COLUMN token_hint SET NOT NULL');
    await q.query('ALTER TABLE api_token RENAME COLUMN token_hint TO token_prefix');
    await q.query('DROP TABLE lookup_key');
  }
}
