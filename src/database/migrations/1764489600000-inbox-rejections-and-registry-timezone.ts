import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events regrelay cannot use are kept in the inbox as `rejected` with their reason
 * (instead of refusing the whole delivery, which registries redeliver forever); ACR
 * joins the webhook formats; registries get the time zone their zone-less webhook
 * timestamps are read in.
 */
export class InboxRejectionsAndRegistryTimezone1764489600000 implements MigrationInterface {
  name = 'InboxRejectionsAndRegistryTimezone1764489600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE registry ADD COLUMN timezone text');
    await q.query(`
      ALTER TABLE event_inbox
        ADD COLUMN status text NOT NULL DEFAULT 'accepted',
        ADD COLUMN reason text,
        ALTER COLUMN repository DROP NOT NULL,
        ALTER COLUMN occurred_at DROP NOT NULL,
        DROP CONSTRAINT event_inbox_format_check,
        DROP CONSTRAINT event_inbox_action_check,
        DROP CONSTRAINT event_inbox_check,
        ADD CONSTRAINT event_inbox_format_check
          CHECK (format IN ('distribution', 'harbor', 'acr')),
        ADD CONSTRAINT event_inbox_status_check CHECK (status IN ('accepted', 'rejected')),
        ADD CONSTRAINT event_inbox_action_check
          CHECK (action IN ('push', 'delete', 'pull', 'mount', 'other', 'unknown')),
        -- What the coalescer reads: a push names a tag and a digest; a delete names a
        -- tag, a digest, or neither (a whole repository).
        ADD CONSTRAINT event_inbox_accepted_shape CHECK (
          status <> 'accepted' OR (
            action IN ('push', 'delete') AND repository IS NOT NULL
            AND occurred_at IS NOT NULL AND reason IS NULL
            AND (action = 'delete' OR tag IS NOT NULL)
          )),
        -- Rejected events are stored processed, so no coalescer ever claims them.
        ADD CONSTRAINT event_inbox_rejected_shape CHECK (
          status <> 'rejected' OR (reason IS NOT NULL AND processed_at IS NOT NULL))`);
    await q.query(`ALTER TABLE event_inbox ALTER COLUMN status DROP DEFAULT`);
    // GET /api/v1/events lists newest first, usually by registry and status.
    await q.query('CREATE INDEX event_inbox_listing ON event_inbox (registry_id, status, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX event_inbox_listing');
    await q.query(`DELETE FROM event_inbox WHERE status = 'rejected' OR format = 'acr'
                   OR (tag IS NULL AND digest IS NULL)`);
    await q.query(`
      ALTER TABLE event_inbox
        DROP CONSTRAINT event_inbox_rejected_shape,
        DROP CONSTRAINT event_inbox_accepted_shape,
        DROP CONSTRAINT event_inbox_action_check,
        DROP CONSTRAINT event_inbox_status_check,
        DROP CONSTRAINT event_inbox_format_check,
        ADD CONSTRAINT event_inbox_format_check CHECK (format IN ('distribution', 'harbor')),
        ADD CONSTRAINT event_inbox_action_check CHECK (action IN ('push', 'delete')),
        ADD CONSTRAINT event_inbox_check CHECK (tag IS NOT NULL OR digest IS NOT NULL),
        ALTER COLUMN occurred_at SET NOT NULL,
        ALTER COLUMN repository SET NOT NULL,
        DROP COLUMN reason,
        DROP COLUMN status`);
    await q.query('ALTER TABLE registry DROP COLUMN timezone');
  }
}
