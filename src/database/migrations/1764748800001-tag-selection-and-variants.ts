import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tag filters beyond names: which entries of an OCI + Nydus index to copy (a new index
 * at the destination, whose digest the ledger and the task keep beside the source's),
 * and retention-style selection (`latest: N`, `semver` ranges), whose deletions of tags
 * that fell out of the selection while the source still has them are marked.
 */
export class TagSelectionAndVariants1764748800001 implements MigrationInterface {
  name = 'TagSelectionAndVariants1764748800001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE policy
        ADD COLUMN variants text NOT NULL DEFAULT 'all' CHECK (variants IN ('all', 'oci', 'nydus')),
        ADD COLUMN tag_latest integer CHECK (tag_latest > 0),
        ADD COLUMN tag_semver text`);
    await q.query(
      `ALTER TABLE execution ADD COLUMN variants text CHECK (variants IN ('all', 'oci', 'nydus'))`,
    );
    await q.query(`
      ALTER TABLE task
        ADD COLUMN written_digest text,
        ADD COLUMN out_of_selection boolean NOT NULL DEFAULT false`);
    await q.query('ALTER TABLE ledger ADD COLUMN source_digest text');
    // `latest: N` asks when tags were last reported pushed.
    await q.query(`
      CREATE INDEX event_inbox_tag_pushes ON event_inbox (registry_id, repository, tag, occurred_at DESC)
        WHERE status = 'accepted' AND action = 'push'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX event_inbox_tag_pushes');
    await q.query('ALTER TABLE ledger DROP COLUMN source_digest');
    await q.query('ALTER TABLE task DROP COLUMN out_of_selection, DROP COLUMN written_digest');
    await q.query('ALTER TABLE execution DROP COLUMN variants');
    await q.query(
      'ALTER TABLE policy DROP COLUMN tag_semver, DROP COLUMN tag_latest, DROP COLUMN variants',
    );
  }
}
