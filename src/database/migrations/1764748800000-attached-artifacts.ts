import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signatures, attestations and SBOMs that travel with their images: which of them a
 * policy copies (and its executions run with), how many each task copied, the
 * ledger's rows for what regrelay attached at a destination (keyed by the subject
 * they belong to, so they go when it goes), and drift in them.
 */
export class AttachedArtifacts1764748800000 implements MigrationInterface {
  name = 'AttachedArtifacts1764748800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE policy ADD COLUMN referrers jsonb NOT NULL DEFAULT '"all"'`);
    await q.query('ALTER TABLE execution ADD COLUMN referrers jsonb');
    await q.query('ALTER TABLE task ADD COLUMN referrers_copied integer NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE ledger ADD COLUMN subject_digest text');
    await q.query(`
      CREATE INDEX ledger_attached ON ledger (destination_registry_id, repository, subject_digest)
        WHERE subject_digest IS NOT NULL`);
    await q.query('ALTER TABLE drift_report ADD COLUMN attached integer NOT NULL DEFAULT 0');
    // A manifest pushed by digest only (a referrer: a signature, an SBOM) is an event
    // now: a push names a tag, or a digest.
    await q.query(`
      ALTER TABLE event_inbox
        DROP CONSTRAINT event_inbox_accepted_shape,
        ADD CONSTRAINT event_inbox_accepted_shape CHECK (
          status <> 'accepted' OR (
            action IN ('push', 'delete') AND repository IS NOT NULL
            AND occurred_at IS NOT NULL AND reason IS NULL
            AND (action = 'delete' OR tag IS NOT NULL OR digest IS NOT NULL)
          ))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM event_inbox WHERE status = 'accepted' AND action = 'push' AND tag IS NULL`,
    );
    await q.query(`
      ALTER TABLE event_inbox
        DROP CONSTRAINT event_inbox_accepted_shape,
        ADD CONSTRAINT event_inbox_accepted_shape CHECK (
          status <> 'accepted' OR (
            action IN ('push', 'delete') AND repository IS NOT NULL
            AND occurred_at IS NOT NULL AND reason IS NULL
            AND (action = 'delete' OR tag IS NOT NULL)
          ))`);
    await q.query('ALTER TABLE drift_report DROP COLUMN attached');
    await q.query('DROP INDEX ledger_attached');
    // Rows for attached artifacts would read as ordinary tags to the older schema.
    await q.query('DELETE FROM ledger WHERE subject_digest IS NOT NULL');
    await q.query('ALTER TABLE ledger DROP COLUMN subject_digest');
    await q.query('ALTER TABLE task DROP COLUMN referrers_copied');
    await q.query('ALTER TABLE execution DROP COLUMN referrers');
    await q.query('ALTER TABLE policy DROP COLUMN referrers');
  }
}
