import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { EventInboxEntity, type InboxStatus } from './event-inbox.entity.js';
import type {
  EventActionLabel,
  InboxAction,
  InboxEvent,
  RejectedEvent,
  WebhookFormat,
} from './inbox-event.js';

/** One row to store: an event to act on, or one rejected with its reason. */
interface InboxEntry {
  eventId: string;
  status: InboxStatus;
  action: EventActionLabel;
  repository: string | null;
  tag: string | null;
  digest: string | null;
  mediaType: string | null;
  occurredAt: Date | null;
  reason: string | null;
}

export interface InboxFilter {
  registryId?: string;
  status?: InboxStatus;
  limit: number;
  offset: number;
}

/** A stored event waiting to be turned into executions. */
export interface PendingEvent {
  /** The inbox row's id. */
  id: string;
  action: InboxAction;
  repository: string;
  tag: string | null;
  digest: string | null;
  occurredAt: Date;
  receivedAt: Date;
}

/** A registry with waiting events, and how long until its gathering window closes. */
export interface WaitingRegistry {
  registryId: string;
  dueInMs: number;
}

/**
 * The event_inbox table: events are stored first (one row per registry and event id,
 * so a redelivered event is a no-op insert), then claimed by one replica's coalescer
 * and marked processed with the executions they fed.
 */
@Injectable()
export class EventInbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores the events to act on and the rejected ones (the latter already processed,
   * so no coalescer claims them) in one statement. Returns the event ids that were
   * new; the rest were stored by an earlier delivery.
   */
  async store(
    registryId: string,
    format: WebhookFormat,
    events: InboxEvent[],
    rejected: RejectedEvent[] = [],
  ): Promise<Set<string>> {
    const entries: InboxEntry[] = [
      ...events.map((e) => ({ ...e, status: 'accepted' as const, reason: null })),
      ...rejected.map((r) => ({
        ...r,
        status: 'rejected' as const,
        mediaType: null,
        reason: `${r.field}: ${r.reason}`,
      })),
    ];
    if (!entries.length) return new Set();
    const column = <K extends keyof InboxEntry>(key: K) => entries.map((e) => e[key]);
    const rows = await queryRows<{ event_id: string }>(
      this.dataSource,
      `INSERT INTO event_inbox
         (registry_id, format, event_id, status, action, repository, tag, digest, media_type,
          occurred_at, reason, processed_at, execution_ids)
       SELECT $1, $2, e.event_id, e.status, e.action, e.repository, e.tag, e.digest, e.media_type,
              e.occurred_at, e.reason,
              CASE WHEN e.status = 'rejected' THEN now() END,
              CASE WHEN e.status = 'rejected' THEN '{}'::uuid[] END
         FROM unnest(
           $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
           $10::timestamptz[], $11::text[]
         ) AS e(event_id, status, action, repository, tag, digest, media_type, occurred_at, reason)
       ON CONFLICT (registry_id, event_id) DO NOTHING
       RETURNING event_id`,
      [
        registryId,
        format,
        column('eventId'),
        column('status'),
        column('action'),
        column('repository'),
        column('tag'),
        column('digest'),
        column('mediaType'),
        entries.map((e) => e.occurredAt?.toISOString() ?? null),
        column('reason'),
      ],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** Stored events, newest first, by registry and status. */
  async list(filter: InboxFilter): Promise<{ rows: EventInboxEntity[]; total: number }> {
    const [rows, total] = await this.dataSource.getRepository(EventInboxEntity).findAndCount({
      where: {
        ...(filter.registryId ? { registryId: filter.registryId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      order: { id: 'DESC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { rows, total };
  }

  /**
   * Registries with unprocessed events. A registry's window opens with its oldest
   * waiting event and closes `windowMs` later (database time, the same for every
   * replica); `dueInMs` 0 means it has closed.
   */
  async waiting(windowMs: number): Promise<WaitingRegistry[]> {
    const rows = await queryRows<{ registry_id: string; due_in_ms: number }>(
      this.dataSource,
      `SELECT registry_id,
              greatest(0, ceil(extract(epoch FROM
                min(received_at) + make_interval(secs => $1::float8 / 1000) - clock_timestamp()
              ) * 1000))::int AS due_in_ms
         FROM event_inbox WHERE processed_at IS NULL
        GROUP BY registry_id`,
      [windowMs],
    );
    return rows.map((r) => ({ registryId: r.registry_id, dueInMs: Number(r.due_in_ms) }));
  }

  /**
   * Locks up to `limit` of a registry's waiting events, oldest first, for the
   * transaction of `m`. Rows another replica holds are skipped, so each event is
   * handled by one replica.
   */
  async claim(m: EntityManager, registryId: string, limit: number): Promise<PendingEvent[]> {
    const rows = await queryRows<{
      id: string;
      action: InboxAction;
      repository: string;
      tag: string | null;
      digest: string | null;
      occurred_at: Date;
      received_at: Date;
    }>(
      m,
      `SELECT id, action, repository, tag, digest, occurred_at, received_at
         FROM event_inbox
        WHERE registry_id = $1 AND processed_at IS NULL
        ORDER BY id
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [registryId, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      action: r.action,
      repository: r.repository,
      tag: r.tag,
      digest: r.digest,
      occurredAt: new Date(r.occurred_at),
      receivedAt: new Date(r.received_at),
    }));
  }

  /**
   * When the registry last reported each of these tags pushed (and with which
   * digest), within the inbox's retention: for `latest: N` of images whose config says
   * nothing of when they were made.
   */
  async pushTimes(
    registryId: string,
    repository: string,
    tags: readonly string[],
  ): Promise<Map<string, { digest: string | null; at: Date }>> {
    const rows = await queryRows<{ tag: string; digest: string | null; occurred_at: Date }>(
      this.dataSource,
      `SELECT DISTINCT ON (tag) tag, digest, occurred_at FROM event_inbox
        WHERE registry_id = $1 AND repository = $2 AND tag = ANY($3)
          AND status = 'accepted' AND action = 'push'
        ORDER BY tag, occurred_at DESC`,
      [registryId, repository, tags],
    );
    return new Map(rows.map((r) => [r.tag, { digest: r.digest, at: new Date(r.occurred_at) }]));
  }

  /** Marks events processed, recording the executions they were scoped into. */
  async markProcessed(m: EntityManager, ids: string[], executionIds: string[]): Promise<void> {
    if (!ids.length) return;
    await queryRows(
      m,
      `UPDATE event_inbox SET processed_at = now(), execution_ids = $2::uuid[]
        WHERE id = ANY($1::bigint[])`,
      [ids, executionIds],
    );
  }

  /** Deletes processed events older than `days`; redeliveries come minutes, not days, later. */
  async prune(days: number): Promise<number> {
    const [row] = await queryRows<{ n: string }>(
      this.dataSource,
      `WITH deleted AS (
         DELETE FROM event_inbox WHERE processed_at < now() - make_interval(days => $1) RETURNING 1
       ) SELECT count(*) AS n FROM deleted`,
      [days],
    );
    return Number(row?.n ?? 0);
  }

  async pendingCount(): Promise<number> {
    const [row] = await queryRows<{ n: string }>(
      this.dataSource,
      'SELECT count(*) AS n FROM event_inbox WHERE processed_at IS NULL',
    );
    return Number(row?.n ?? 0);
  }
}
