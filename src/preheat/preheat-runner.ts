import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { forEachConcurrent } from '../common/async-pool.js';
import { AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable, logOutage, whileDatabaseDown } from '../database/outage.js';
import { RegistriesService } from '../registries/registries.service.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { EventBus } from '../replication/event-bus.js';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { InstanceId } from '../replication/instance-id.js';
import { DragonflyClient } from './dragonfly-client.js';
import { drivePreheat } from './preheat-lifecycle.js';
import type { PreheatEntity } from './preheat.entity.js';
import { PreheatMetrics } from './preheat-metrics.js';
import { planPreheats, type DeliveredTask } from './preheat-plan.js';
import { PreheatStore } from './preheat-store.js';

/** Preheats this replica drives at once. */
const CONCURRENCY = 4;
/** Delivered tasks read per execution, in pages of 500: 20 000 images at most. */
const MAX_TASK_PAGES = 40;
const PAGE = 500;
/** Rows taken over per sweep. */
const SWEEP_BATCH = 20;

/**
 * Asks a registry's Dragonfly manager to preheat what an execution delivered there.
 * Every replica hears `execution.finished`; the one whose INSERT creates the preheat
 * rows sends them (see PreheatStore). A sweep takes over rows whose lease expired:
 * retries waiting for their backoff, and jobs a stopped replica was still polling.
 * A preheat's outcome is recorded and counted; it never changes the execution's
 * status, but a failure is added to its message.
 *
 * Database outages: planning an execution's preheats waits for the database (the
 * rows do not exist yet, so no sweep would find them); a preheat cut short by one
 * keeps its lease and the sweep resumes it once the lease has run out.
 */
@Injectable()
export class PreheatRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PreheatRunner.name);
  private readonly owner: string;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly leaseMs: number;
  private subscription?: Subscription;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly bus: EventBus,
    private readonly executions: ExecutionsService,
    private readonly registries: RegistriesService,
    private readonly store: PreheatStore,
    private readonly metrics: PreheatMetrics,
    private readonly instance: InstanceId,
  ) {
    this.owner = instance.value;
    // Long enough to survive a few slow polls; another replica waits this long.
    this.leaseMs = Math.max(30_000, 4 * config.preheatPollIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.subscription = this.bus.of('execution.finished').subscribe((event) =>
      this.track(
        whileDatabaseDown(() => this.onFinished(event.executionId), {
          signal: this.stopping.signal,
          onOutage: logOutage(this.logger, 'planning preheats', {
            executionId: event.executionId,
          }),
        }),
      ),
    );
    // Often enough that a retry waits about its backoff, not a whole lease.
    const sweepMs = Math.max(
      1_000,
      Math.min(this.leaseMs / 2, 10 * this.config.preheatPollIntervalMs),
    );
    this.sweepTimer = setInterval(() => this.track(this.sweep()), sweepMs);
    this.sweepTimer.unref();
    this.track(this.takeOverPredecessors());
  }

  /** Preheats a dead predecessor was driving are resumed at once (see InstanceId). */
  private async takeOverPredecessors(): Promise<void> {
    const prefix = this.instance.predecessors;
    if (!prefix || !(await this.store.takeOverFrom(prefix, this.owner))) return;
    this.logger.log('Resuming the preheats of the previous instance on this data directory');
    await this.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    clearInterval(this.sweepTimer);
    // Running preheats stop polling; their rows keep the job id and are resumed by the
    // next replica to sweep once the lease runs out.
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** After an execution ended: plan and claim the preheats of what it delivered. */
  async onFinished(executionId: string): Promise<void> {
    const managed = new Map(
      (await this.registries.list())
        .filter((r) => r.dragonfly && r.dragonflyTokenSealed)
        .map((r) => [r.id, r]),
    );
    if (!managed.size) return;
    const rows = planPreheats(executionId, await this.delivered(executionId), managed);
    const claimed = await this.store.claimNew(rows, this.owner, this.leaseMs);
    if (!claimed.length) return;
    this.logger.log({ executionId, preheats: claimed.length }, 'Asking Dragonfly to preheat');
    await this.runAll(claimed, managed);
  }

  /** Takes over preheats whose lease expired (retries due, or a stopped replica's). */
  async sweep(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const due = await this.store.claimDue(this.owner, this.leaseMs, SWEEP_BATCH);
    if (!due.length) return;
    await this.runAll(due, await this.registries.getMany(due.map((r) => r.registryId)));
  }

  private async delivered(executionId: string): Promise<DeliveredTask[]> {
    const tasks: DeliveredTask[] = [];
    for (let page = 0; page < MAX_TASK_PAGES; page++) {
      const { items, total } = await this.executions.tasksOf(executionId, {
        status: 'succeeded',
        limit: PAGE,
        offset: page * PAGE,
      });
      tasks.push(...items);
      if (items.length < PAGE || tasks.length >= total) return tasks;
    }
    this.logger.warn(
      { executionId, read: tasks.length },
      'Preheating only the first delivered images',
    );
    return tasks;
  }

  private runAll(
    rows: PreheatEntity[],
    registries: ReadonlyMap<string, RegistryEntity>,
  ): Promise<void> {
    return forEachConcurrent(rows, CONCURRENCY, (row) =>
      this.runOne(row, registries.get(row.registryId)),
    );
  }

  private async runOne(row: PreheatEntity, registry: RegistryEntity | undefined): Promise<void> {
    const token = registry?.dragonfly ? this.registries.dragonflyToken(registry) : undefined;
    if (!registry?.dragonfly || !token) {
      await this.store.update(row.id, this.owner, {
        status: 'failed',
        error: 'the registry no longer has a Dragonfly manager',
        endedAt: new Date(),
        leaseExpiresAt: null,
      });
      return this.ended(row, registry?.name ?? row.registryId, 'failed');
    }
    const outcome = await drivePreheat(row, {
      store: this.store,
      owner: this.owner,
      leaseMs: this.leaseMs,
      pollIntervalMs: this.config.preheatPollIntervalMs,
      retryBackoffMs: Math.min(5_000, 10 * this.config.preheatPollIntervalMs),
      deadline: new Date(row.createdAt.getTime() + this.config.preheatTimeoutSeconds * 1000),
      signal: this.stopping.signal,
      client: new DragonflyClient(registry.dragonfly.url, token),
      settings: registry.dragonfly,
      credentials: registry.dragonfly.passCredentials
        ? this.registries.credentials(registry)
        : undefined,
    });
    if (!outcome.ended) return;
    if (outcome.status === 'failed') {
      this.logger.warn(
        {
          executionId: row.executionId,
          registry: registry.name,
          manifest: row.manifestUrl,
          error: outcome.error,
        },
        'Dragonfly preheat failed',
      );
    }
    await this.ended(row, registry.name, outcome.status);
  }

  /** Counts an ended preheat; once all of the execution's have ended, notes failures on it. */
  private async ended(
    row: PreheatEntity,
    registry: string,
    result: 'succeeded' | 'failed',
  ): Promise<void> {
    this.metrics.preheats.inc({ registry, result });
    const standing = await this.store.standing(row.executionId);
    if (standing.open > 0 || standing.failed === 0) return;
    const warning =
      `Preheat: ${standing.failed} of ${standing.total} Dragonfly preheats failed ` +
      `(GET /api/v1/executions/${row.executionId}/preheats)`;
    const execution = await this.executions.get(row.executionId);
    if (execution.message?.includes('Preheat:')) return;
    await this.executions.setMessage(
      row.executionId,
      execution.message ? `${execution.message}. ${warning}` : warning,
    );
  }

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        // A sweep during an outage simply finds nothing to do; the next one looks again.
        if (isDatabaseUnavailable(error)) return;
        this.logger.warn({ err: error }, 'Preheat work failed; the sweep retries it');
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
