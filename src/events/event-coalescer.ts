import {
  ConflictException,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Subscription } from 'rxjs';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable, OutageBackoff } from '../database/outage.js';
import { EventBus } from '../replication/event-bus.js';
import { EventTargets } from '../replication/triggers/event-targets.js';
import { EventInbox, type PendingEvent } from './event-inbox.js';
import { EventMetrics } from './event-metrics.js';
import { eventTriggers } from './event-scope.js';
import { RegistryPushes } from './registry-pushes.js';

/** Events claimed in one transaction; a burst larger than this is handled in rounds. */
const CLAIM_LIMIT = 500;
/** Rounds per registry and pass, so one flooding registry cannot starve the others. */
const MAX_ROUNDS = 20;
/** Processed events are kept this long: long enough to recognise any redelivery. */
const INBOX_RETENTION_DAYS = 7;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Turns stored events into targeted executions. For each registry, the window opens
 * with its oldest waiting event and lasts REGRELAY_EVENT_COALESCE_MS; when it
 * closes, the registry's waiting events are claimed together (FOR UPDATE SKIP
 * LOCKED: every replica runs a coalescer, each event is handled by one), each
 * event-triggered policy of that source gets one execution scoped to the
 * repositories and tags named (or joins its waiting one), and the events are marked
 * processed with the execution ids in the same transaction that claimed them.
 *
 * The intake's `events.received` wakes it at once; a poll every
 * REGRELAY_POLL_INTERVAL_MS catches wake-ups lost while the bus reconnects and
 * events left by a stopped process.
 *
 * Delivery into executions is at least once: if the process dies after an
 * execution was triggered but before the claim commits, the events are claimed again
 * and trigger again, which joins the waiting execution or plans an execution that
 * finds the tags already copied.
 */
@Injectable()
export class EventCoalescer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventCoalescer.name);
  private readonly subscription = new Subscription();
  private timer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** Targets already warned about for a filter that does not compile (see warnInvalid). */
  private readonly warnedInvalid = new Set<string>();
  private closed = false;
  private readonly backoff = new OutageBackoff();

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly inbox: EventInbox,
    private readonly targets: EventTargets,
    private readonly bus: EventBus,
    private readonly metrics: EventMetrics,
    private readonly pushes: RegistryPushes,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.measurePending(() => this.inbox.pendingCount());
    this.subscription.add(this.bus.of('events.received').subscribe(() => this.wake()));
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pruneTimer);
    this.subscription.unsubscribe();
    // A pass in flight finishes (or rolls back) before the database goes away.
    await this.running;
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.coalesce()
      .then((nextInMs) => {
        if (!this.backoff.fresh)
          this.logger.log('The database answers again; registry events are handled again');
        this.backoff.reset();
        return nextInMs;
      })
      .catch((error: unknown) => {
        // Nothing is lost: unclaimed events stay in the inbox (the claim rolled back).
        if (!isDatabaseUnavailable(error)) {
          this.logger.warn({ err: error }, 'Could not turn events into executions; will retry');
          return this.config.pollIntervalMs;
        }
        if (this.backoff.fresh)
          this.logger.warn(
            { err: error },
            'The database is unreachable; registry events wait for it',
          );
        this.again = false;
        return Math.max(this.config.pollIntervalMs, this.backoff.next());
      })
      .then((nextInMs) => {
        this.running = undefined;
        if (this.closed) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), nextInMs);
        }
      });
  }

  /**
   * One pass over every registry with waiting events: those whose window has closed
   * are processed. Returns how long until the next pass is due.
   */
  async coalesce(): Promise<number> {
    let nextInMs = this.config.pollIntervalMs;
    for (const { registryId, dueInMs } of await this.inbox.waiting(this.config.eventCoalesceMs)) {
      if (this.closed) break;
      if (dueInMs > 0) {
        nextInMs = Math.min(nextInMs, dueInMs);
        continue;
      }
      for (let round = 0; round < MAX_ROUNDS && !this.closed; round++) {
        const claimed = await this.dataSource.transaction((m) => this.process(m, registryId));
        if (claimed < CLAIM_LIMIT) break;
      }
    }
    return nextInMs;
  }

  /** Claims a registry's waiting events and triggers what they name; returns how many. */
  private async process(m: EntityManager, registryId: string): Promise<number> {
    const events = await this.inbox.claim(m, registryId, CLAIM_LIMIT);
    if (!events.length) return 0; // another replica holds them
    const targets = new Map((await this.targets.forRegistry(registryId)).map((t) => [t.id, t]));
    const fed = new Map<string, string[]>(); // inbox id → execution ids
    const invalid = (targetId: string, error: Error) =>
      this.warnInvalid(registryId, targetId, error);
    for (const trigger of eventTriggers([...targets.values()], events, invalid)) {
      const target = targets.get(trigger.consumerId)!;
      const named = new Set(trigger.eventIds);
      let result;
      try {
        result = await target.trigger(
          trigger.scope,
          events.filter((e) => named.has(e.id)),
        );
      } catch (error) {
        // Disabled since it was listed: its events are simply not for it any more.
        if (error instanceof ConflictException) continue;
        throw error;
      }
      if (!result) continue; // nothing to do: the events reported regrelay's own writes
      for (const id of trigger.eventIds) {
        fed.set(id, [...(fed.get(id) ?? []), result.execution.id]);
      }
      this.logger.log(
        {
          registryId,
          target: trigger.consumerId,
          executionId: result.execution.id,
          events: trigger.eventIds.length,
          repositories: Object.keys(trigger.scope.repositories).length,
        },
        result.coalesced
          ? 'Registry events joined the waiting execution'
          : 'Registry events triggered an execution',
      );
    }
    await this.markProcessed(m, events, fed);
    this.pushes.report(registryId, events);
    if (fed.size < events.length) {
      this.logger.debug(
        { registryId, events: events.length - fed.size },
        'Registry events no event-triggered policy wants',
      );
    }
    return events.length;
  }

  /** Once per process for each target and reason: the warning repeats nothing new. */
  private warnInvalid(registryId: string, targetId: string, error: Error): void {
    const key = `${targetId} ${error.message}`;
    if (this.warnedInvalid.has(key)) return;
    this.warnedInvalid.add(key);
    this.logger.warn(
      { registryId, target: targetId, err: error.message },
      'An event-triggered policy or topology has a filter that no longer compiles; ' +
        'registry events skip it until its filters are fixed (the others get theirs)',
    );
  }

  /** One UPDATE per distinct set of executions (usually one or two). */
  private async markProcessed(
    m: EntityManager,
    events: PendingEvent[],
    fed: Map<string, string[]>,
  ): Promise<void> {
    const groups = new Map<string, { ids: string[]; executions: string[] }>();
    for (const event of events) {
      const executions = [...new Set(fed.get(event.id) ?? [])].sort();
      const key = executions.join(',');
      const group = groups.get(key) ?? { ids: [], executions };
      group.ids.push(event.id);
      groups.set(key, group);
    }
    for (const { ids, executions } of groups.values()) {
      await this.inbox.markProcessed(m, ids, executions);
    }
  }

  private async prune(): Promise<void> {
    try {
      const deleted = await this.inbox.prune(INBOX_RETENTION_DAYS);
      if (deleted) this.logger.log({ deleted }, 'Pruned processed registry events');
    } catch (error) {
      this.logger.warn({ err: error }, 'Pruning registry events failed');
    }
  }
}
