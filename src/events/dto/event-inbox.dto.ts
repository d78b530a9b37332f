import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageDto, PageQuery } from '../../replication/dto/execution.dto.js';
import { INBOX_STATUSES, type EventInboxEntity, type InboxStatus } from '../event-inbox.entity.js';
import { WEBHOOK_FORMATS, type EventActionLabel, type WebhookFormat } from '../inbox-event.js';

export class EventQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only events from this registry' })
  @IsOptional()
  @IsUUID()
  registryId?: string;

  @ApiPropertyOptional({ enum: INBOX_STATUSES, example: 'rejected' })
  @IsOptional()
  @IsIn(INBOX_STATUSES)
  status?: InboxStatus;
}

export class EventDto {
  @ApiProperty({ description: 'Inbox row id (newer rows have larger ids)', example: '4711' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  registryId!: string;
  @ApiProperty({ enum: WEBHOOK_FORMATS, description: 'The webhook route it came in on' })
  source!: WebhookFormat;
  @ApiProperty({
    description: "The registry's event id, or one derived from the event's content",
    example: '9f7a5c1e-3b2d-4c8e-a1f0-6d5e4c3b2a19',
  })
  eventId!: string;
  @ApiProperty({
    enum: INBOX_STATUSES,
    description: 'accepted: acted on (or waiting to be); rejected: unusable, see reason',
  })
  status!: InboxStatus;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why a rejected event could not be used: the field and the reason',
    example: 'events[1].target.digest: is not a valid sha256 or sha512 digest: "sha256:abc"',
  })
  reason!: string | null;
  @ApiProperty({ example: 'push', enum: ['push', 'delete', 'pull', 'mount', 'other', 'unknown'] })
  action!: EventActionLabel;
  @ApiProperty({ nullable: true, type: String, example: 'library/app' })
  repository!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '1.4.2',
    description: 'Null: a delete of a manifest or repository (every tag re-examined)',
  })
  tag!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  })
  digest!: string | null;
  @ApiProperty({ nullable: true, type: String })
  mediaType!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the registry says it happened',
    example: '2026-11-20T10:15:30.123Z',
  })
  occurredAt!: string | null;
  @ApiProperty({ example: '2026-11-20T10:15:30.204Z' })
  receivedAt!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When it was turned into executions (rejected events: when stored)',
  })
  processedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: [String],
    description: 'Executions it was scoped into (empty: no event-triggered policy wanted it)',
  })
  executionIds!: string[] | null;

  static from(row: EventInboxEntity): EventDto {
    return {
      id: String(row.id),
      registryId: row.registryId,
      source: row.format,
      eventId: row.eventId,
      status: row.status,
      reason: row.reason,
      action: row.action,
      repository: row.repository,
      tag: row.tag,
      digest: row.digest,
      mediaType: row.mediaType,
      occurredAt: row.occurredAt?.toISOString() ?? null,
      receivedAt: row.receivedAt.toISOString(),
      processedAt: row.processedAt?.toISOString() ?? null,
      executionIds: row.executionIds,
    };
  }
}

export class EventPageDto extends PageDto {
  @ApiProperty({
    type: [EventDto],
    example: [
      {
        id: '4711',
        registryId: '0b8e4c52-0c5e-4f57-9d1a-2a7f3f3b6c11',
        source: 'distribution',
        eventId: '9f7a5c1e-3b2d-4c8e-a1f0-6d5e4c3b2a19',
        status: 'rejected',
        reason: 'events[1].target.digest: is not a valid sha256 or sha512 digest: "sha256:abc"',
        action: 'push',
        repository: 'library/app',
        tag: '1.4.2',
        digest: 'sha256:abc',
        mediaType: null,
        occurredAt: '2026-11-20T10:15:30.123Z',
        receivedAt: '2026-11-20T10:15:30.204Z',
        processedAt: '2026-11-20T10:15:30.204Z',
        executionIds: [],
      },
    ],
  })
  items!: EventDto[];
}
