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
 * Task events (for SSE clients) wait up to this long to share one NOTIFY: a small
 * image's copy sent two of its seven PostgreSQL statements as NOTIFYs of its own.
 */
const TASK_EVENT_BATCH_MS = 20;
const BATCHED = new Set<ReplicationEventType>(['task.started', 'task.progress', 'task.finished']);

interface Outgoing {
  event: ReplicationEvent;
  payload: string;
}

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
  /** Events waiting for the next NOTIFY, in the order they were published. */
  private pending: Outgoing[] = [];
  private batchTimer?: NodeJS.Timeout;
  /** The NOTIFY under way (sends go one after another, so that events arrive in order). */
  private sending: Promise<void> = Promise.resolve();
  /** The send that takes what is pending, once the one under way is done. */
  private next?: Promise<void>;

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
    await this.flush();
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
    this.subject.complete();
  }

  /**
   * Publishes to every replica, this one included (it hears its own NOTIFY). Task
   * events go with the next NOTIFY, within TASK_EVENT_BATCH_MS, and resolve at once;
   * any other event is sent now, after those before it, and resolves once sent.
   * Several events in one NOTIFY travel as a JSON array.
   */
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
    this.pending.push({ event, payload });
    if (!BATCHED.has(event.type)) return this.flush();
    this.batchTimer ??= setTimeout(() => void this.flush(), TASK_EVENT_BATCH_MS);
  }

  /**
   * Sends what is pending once the NOTIFY under way is done. Events published
   * meanwhile join the next send, so a slow database (an outage) delays events but
   * never queues one NOTIFY per event behind it.
   */
  private flush(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.next ??= this.sending.then(() => {
      const batch = this.pending;
      this.pending = [];
      this.next = undefined;
      return this.send(batch);
    });
    this.sending = this.next;
    return this.next;
  }

  private async send(batch: Outgoing[]): Promise<void> {
    let failed = false;
    for (const chunk of chunked(batch)) {
      // Once the database is found away, the rest goes straight to the local stream.
      if (!failed) failed = !(await this.notify(chunk));
      else for (const o of chunk) this.subject.next(o.event);
    }
  }

  /** One NOTIFY; false when it failed and the events were delivered locally instead. */
  private async notify(chunk: Outgoing[]): Promise<boolean> {
    const payload =
      chunk.length === 1 ? chunk[0]!.payload : `[${chunk.map((o) => o.payload).join(',')}]`;
    try {
      await this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
      this.notifyFailing = false;
      return true;
    } catch (error) {
      // The local stream must not miss what happened here even if NOTIFY failed.
      if (!this.notifyFailing || !isDatabaseUnavailable(error))
        this.logger.warn(
          { err: error, types: [...new Set(chunk.map((o) => o.event.type))] },
          'NOTIFY failed; delivered locally only',
        );
      this.notifyFailing = isDatabaseUnavailable(error);
      for (const o of chunk) this.subject.next(o.event);
      return false;
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
        const parsed = JSON.parse(message.payload) as ReplicationEvent | ReplicationEvent[];
        for (const event of Array.isArray(parsed) ? parsed : [parsed]) this.subject.next(event);
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

/** Events in runs whose NOTIFY payload (one event, or an array of several) fits. */
function chunked(batch: Outgoing[]): Outgoing[][] {
  const chunks: Outgoing[][] = [];
  let current: Outgoing[] = [];
  let length = 2; // the array's brackets
  for (const o of batch) {
    if (current.length && length + o.payload.length + 1 > MAX_PAYLOAD) {
      chunks.push(current);
      current = [];
      length = 2;
    }
    current.push(o);
    length += o.payload.length + 1;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
