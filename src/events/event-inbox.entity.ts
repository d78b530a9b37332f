import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { InboxAction, WebhookFormat } from './inbox-event.js';

/**
 * One registry notification worth acting on (a tag pushed, a tag or manifest
 * deleted), stored before it is acted on. Written and claimed with SQL by
 * EventInbox; the entity describes the table for reads.
 */
@Entity({ name: 'event_inbox' })
export class EventInboxEntity {
  @PrimaryColumn({ type: 'bigint' })
  id!: string;

  /** The registry whose webhook secret authenticated the delivery. */
  @Column({ name: 'registry_id', type: 'uuid' })
  registryId!: string;

  /** The registry's event id (distribution), or one derived from the payload (Harbor). */
  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  format!: WebhookFormat;

  @Column({ type: 'text' })
  action!: InboxAction;

  @Column({ type: 'text' })
  repository!: string;

  /** Null for a manifest deleted by digest (every tag of the repository is re-examined). */
  @Column({ type: 'text', nullable: true })
  tag!: string | null;

  /** Null for distribution's tag deletes, which name only the tag. */
  @Column({ type: 'text', nullable: true })
  digest!: string | null;

  @Column({ name: 'media_type', type: 'text', nullable: true })
  mediaType!: string | null;

  /** When the registry says it happened. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** Executions it was scoped into (empty: no event-triggered policy wanted it). */
  @Column({ name: 'execution_ids', type: 'uuid', array: true, nullable: true })
  executionIds!: string[] | null;
}
