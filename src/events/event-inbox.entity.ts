import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventActionLabel, WebhookFormat } from './inbox-event.js';

/** accepted: to act on (or acted on); rejected: unusable, kept with its reason. */
export const INBOX_STATUSES = ['accepted', 'rejected'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

/**
 * One registry notification: worth acting on (a tag pushed, a tag, manifest or
 * repository deleted), stored before it is acted on; or one regrelay could not use,
 * stored as rejected with the reason. Written and claimed with SQL by EventInbox; the
 * entity describes the table for reads.
 */
@Entity({ name: 'event_inbox' })
export class EventInboxEntity {
  @PrimaryColumn({ type: 'bigint' })
  id!: string;

  /** The registry whose webhook secret authenticated the delivery. */
  @Column({ name: 'registry_id', type: 'uuid' })
  registryId!: string;

  /** The registry's event id (distribution, CloudEvents), or one derived from the payload. */
  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  format!: WebhookFormat;

  @Column({ type: 'text' })
  status!: InboxStatus;

  /** Why a rejected event could not be used: `field: reason`. Null when accepted. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** push or delete when accepted; any action label when rejected. */
  @Column({ type: 'text' })
  action!: EventActionLabel;

  /** Null only for a rejected event that named none readable. */
  @Column({ type: 'text', nullable: true })
  repository!: string | null;

  /** Null for a manifest or repository deleted (every tag of the repository is re-examined). */
  @Column({ type: 'text', nullable: true })
  tag!: string | null;

  /** Null for distribution's tag deletes, which name only the tag. */
  @Column({ type: 'text', nullable: true })
  digest!: string | null;

  @Column({ name: 'media_type', type: 'text', nullable: true })
  mediaType!: string | null;

  /** When the registry says it happened (null: a rejected event without a readable time). */
  @Column({ name: 'occurred_at', type: 'timestamptz', nullable: true })
  occurredAt!: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  /** Set when turned into executions; a rejected event is stored processed. */
  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** Executions it was scoped into (empty: no event-triggered policy wanted it). */
  @Column({ name: 'execution_ids', type: 'uuid', array: true, nullable: true })
  executionIds!: string[] | null;
}
