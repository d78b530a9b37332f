import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { filter, Subject, type Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable, OutageBackoff } from '../database/outage.js';
import type { ReplicationEvent, ReplicationEventType } from './replication-events.js';

const CHANNEL = 'regrelay_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;

/**
 * Replication events for every replica: published with PostgreSQL NOTIFY and
 * received on a dedicated LISTEN connection, so an SSE client connected to one
 * replica sees tasks run by another, and a stop reaches the worker holding the task.
 * Delivery is best effort (a dropped listener loses events while it reconnects);
 * nothing that must happen depends on it alone: workers also poll, leases are
 * renewed against the database, SSE streams start from a database snapshot.
 * While the database is away the listener reconnects with backoff (up to 10 s
 * apart), logging the loss and the recovery once each.
 */
@Injectable()
export class EventBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventBus.name);
  private readonly subject = new Subject<ReplicationEvent>();
  private listener?: pg.Client;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly backoff = new OutageBackoff(1000, 10_000);
  /** NOTIFY fails for every event while the database is away: say so once. */
  private notifyFailing = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  readonly events$: Observable<ReplicationEvent> = this.subject.asObservable();

  of<T extends ReplicationEventType>(
    ...types: T[]
  ): Observable<Extract<ReplicationEvent, { type: T }>> {
    return this.events$.pipe(
      filter((e): e is Extract<ReplicationEvent, { type: T }> =>
        (types as string[]).includes(e.type),
      ),
    );
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
    this.subject.complete();
  }

  /** Publishes to every replica, this one included (it hears its own NOTIFY). */
  async publish(event: ReplicationEvent): Promise<void> {
    const payload = JSON.stringify(event);
    if (payload.length > MAX_PAYLOAD) {
      this.logger.warn(
        { type: event.type, bytes: payload.length },
        'Event too large for NOTIFY; delivered locally only',
      );
      this.subject.next(event);
      return;
    }
    try {
      await this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
      this.notifyFailing = false;
    } catch (error) {
      // The local stream must not miss what happened here even if NOTIFY failed.
      if (!this.notifyFailing || !isDatabaseUnavailable(error))
        this.logger.warn({ err: error, type: event.type }, 'NOTIFY failed; delivered locally only');
      this.notifyFailing = isDatabaseUnavailable(error);
      this.subject.next(event);
    }
  }

  private async connect(): Promise<void> {
    const options = this.dataSource.options as { url?: string };
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'regrelay-listener',
    });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        this.subject.next(JSON.parse(message.payload) as ReplicationEvent);
      } catch {
        this.logger.warn('Ignored an unreadable event payload');
      }
    });
    const lost = (error?: Error) => {
      if (this.closed || this.listener !== client) return;
      this.logger.warn({ err: error }, 'Event listener connection lost; reconnecting');
      this.backoff.next(); // not fresh any more: reconnect failures are not logged again
      this.listener = undefined;
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      this.listener = undefined;
      void client.end().catch(() => undefined);
      throw error;
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().then(
        () => {
          this.logger.log('Event listener reconnected');
          this.backoff.reset();
        },
        (error: unknown) => {
          this.logger.debug({ err: error }, 'Event listener reconnect failed; trying again');
          this.scheduleReconnect();
        },
      );
    }, this.backoff.next());
  }
}
