import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import {
  isDatabaseUnavailable,
  logOutage,
  OutageBackoff,
  whileDatabaseDown,
} from '../../database/outage.js';
import { queryRows } from '../../database/sql.js';
import { ShutdownState } from '../../observability/shutdown-state.js';
import { EventBus } from '../event-bus.js';
import { InstanceId } from '../instance-id.js';
import type { ExecutionOwner, OwnerKind } from '../owners/execution-owner.js';
import { Planner } from '../planning/planner.js';
import { ExecutionFinisher } from './execution-finisher.js';
import { ownerOfRow } from './execution.entity.js';

/** Executions this process plans at once. */
const PLANNING_SLOTS = 4;

/**
 * Moves executions through their life: starts a waiting execution when its owner
 * has none running, plans it (holding a renewable lease, so a crashed planner's
 * execution is adopted and re-planned by another process), and ends executions whose
 * tasks are all done. Every step is a guarded statement, safe with several replicas.
 *
 * While the database is unreachable the passes back off; a planning run it cut short
 * hands its execution back (its lease cleared) and the execution is planned again
 * once the database answers: tasks planned before are kept as they are.
 */
@Injectable()
export class ExecutionRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExecutionRunner.name);
  private readonly planning = new Map<string, AbortController>();
  /** Planning runs under way, awaited at shutdown (each hands its execution back). */
  private readonly planRuns = new Set<Promise<void>>();
  private readonly subscription = new Subscription();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly closing = new AbortController();
  private readonly backoff = new OutageBackoff();
  /** No pass before this (epoch ms) while the database is away. */
  private retryAt = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly planner: Planner,
    private readonly finisher: ExecutionFinisher,
    private readonly bus: EventBus,
    private readonly shutdown: ShutdownState,
    private readonly instance: InstanceId,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workers === 0) return;
    this.subscription.add(
      this.bus.of('execution.created', 'execution.finished').subscribe(() => this.kick()),
    );
    this.subscription.add(
      this.bus
        .of('execution.stop')
        .subscribe((e) => this.planning.get(e.executionId)?.abort(new Error('execution stopped'))),
    );
    this.subscription.add(this.shutdown.onDrain(() => void this.onApplicationShutdown()));
    this.timer = setInterval(() => this.kick(), this.config.pollIntervalMs);
    void this.takeOverPredecessors().finally(() => this.kick());
  }

  /** Executions a dead predecessor was planning are planned again at once (see InstanceId). */
  private async takeOverPredecessors(): Promise<void> {
    const prefix = this.instance.predecessors;
    if (!prefix) return;
    try {
      const rows = await queryRows(
        this.dataSource,
        `UPDATE execution SET lease_expires_at = now() - interval '1 second'
         WHERE status = 'running' AND NOT planned AND starts_with(lease_owner, $1) AND lease_owner <> $2
         RETURNING id`,
        [prefix, this.instance.value],
      );
      if (rows.length)
        this.logger.log(
          { executions: rows.length },
          'Planning again what the previous instance on this data directory was planning',
        );
    } catch (error) {
      this.logger.warn({ err: error }, "Could not take over the previous instance's planning");
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.closing.abort();
    clearInterval(this.timer);
    this.subscription.unsubscribe();
    for (const controller of this.planning.values()) controller.abort(new Error('shutting down'));
    await this.ticking;
    await Promise.all(this.planRuns);
  }

  /** Runs a pass now, or right after the current one. */
  kick(): void {
    if (this.stopped || Date.now() < this.retryAt) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .then(() => {
        if (!this.backoff.fresh) this.logger.log('The database answers again; executions resumed');
        this.backoff.reset();
        this.retryAt = 0;
      })
      .catch((error: unknown) => {
        if (!isDatabaseUnavailable(error)) {
          this.logger.error({ err: error }, 'Execution runner pass failed');
          return;
        }
        if (this.backoff.fresh)
          this.logger.warn({ err: error }, 'The database is unreachable; executions wait for it');
        this.retryAt = Date.now() + this.backoff.next();
        this.again = false;
      })
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async tick(): Promise<void> {
    const free = PLANNING_SLOTS - this.planning.size;
    if (free > 0) {
      for (const { id, planned, owner } of await this.takeForPlanning(free)) {
        if (planned) await this.startPlanned(id, owner);
        else this.plan(id, owner);
      }
    }
    await this.renewPlanningLeases();
    await this.finishStragglers();
  }

  /**
   * Starts waiting executions whose owner has none running, and adopts executions
   * whose planner stopped renewing its lease. The partial unique index on running
   * executions makes a lost race a no-op, never a second running execution.
   */
  private async takeForPlanning(
    limit: number,
  ): Promise<{ id: string; planned: boolean; owner: ExecutionOwner }[]> {
    const taken: { id: string; planned: boolean; owner: ExecutionOwner }[] = [];
    const candidates = await queryRows<{ id: string; status: string }>(
      this.dataSource,
      `SELECT e.id, e.status FROM execution e
       WHERE (e.status = 'pending' AND NOT EXISTS (
                SELECT 1 FROM execution r
                WHERE r.owner_kind = e.owner_kind AND r.owner_id = e.owner_id
                  AND r.owner_lane = e.owner_lane AND r.status = 'running'))
          OR (e.status = 'running' AND NOT e.planned AND (e.lease_expires_at IS NULL OR e.lease_expires_at < now()))
       ORDER BY e.created_at LIMIT $1`,
      [limit],
    );
    for (const candidate of candidates) {
      try {
        // An execution created with its tasks (confirmed deletions) needs no planning lease.
        const rows = await queryRows<{
          id: string;
          planned: boolean;
          owner_kind: OwnerKind;
          owner_id: string;
          owner_lane: string;
        }>(
          this.dataSource,
          `UPDATE execution SET status = 'running', started_at = coalesce(started_at, now()),
                  lease_owner = CASE WHEN planned THEN NULL ELSE $2 END,
                  lease_expires_at = CASE WHEN planned THEN NULL ELSE now() + make_interval(secs => $3) END
           WHERE id = $1 AND (status = 'pending'
                 OR (status = 'running' AND NOT planned AND (lease_expires_at IS NULL OR lease_expires_at < now())))
           RETURNING id, planned, owner_kind, owner_id, owner_lane`,
          [candidate.id, this.instance.value, this.config.taskLeaseSeconds],
        );
        for (const row of rows)
          taken.push({
            id: row.id,
            planned: row.planned,
            owner: ownerOfRow(row),
          });
      } catch (error) {
        // Another replica started one for this owner in the meantime.
        if ((error as { driverError?: { code?: string } }).driverError?.code !== '23505')
          throw error;
      }
    }
    return taken;
  }

  private async startPlanned(executionId: string, owner: ExecutionOwner): Promise<void> {
    await this.bus.publish({ type: 'execution.started', executionId, owner });
    await this.bus.publish({ type: 'tasks.available', executionId });
    await this.finisher.finishIfDone(executionId);
  }

  private plan(executionId: string, owner: ExecutionOwner): void {
    const controller = new AbortController();
    this.planning.set(executionId, controller);
    const run: Promise<void> = this.planOne(executionId, owner, controller)
      .catch((error: unknown) =>
        // Left as it is, the execution's planning lease runs out and it is planned again.
        this.logger.error({ err: error, executionId }, 'Could not record the end of planning'),
      )
      .finally(async () => {
        this.planning.delete(executionId);
        this.planRuns.delete(run);
        if (this.stopped) return;
        await this.finisher.finishIfDone(executionId).catch(() => undefined);
        this.kick();
      });
    this.planRuns.add(run);
  }

  private async planOne(
    executionId: string,
    owner: ExecutionOwner,
    controller: AbortController,
  ): Promise<void> {
    const durably = (write: () => Promise<void>) =>
      whileDatabaseDown(write, {
        signal: this.closing.signal,
        onOutage: logOutage(this.logger, 'planning', { executionId }),
      });
    try {
      await this.bus.publish({ type: 'execution.started', executionId, owner });
      await this.planner.plan(executionId, owner, controller.signal);
    } catch (error) {
      if (controller.signal.aborted && this.stopped) {
        // Shutting down: another replica adopts it, at once rather than when the lease runs out.
        await this.releasePlanning(executionId).catch(() => undefined);
        return;
      }
      if (controller.signal.aborted) return durably(() => this.markPlanned(executionId, null)); // stopped: the finisher says so
      if (isDatabaseUnavailable(error)) {
        this.logger.warn(
          { err: error, executionId },
          'The database went away while planning; the execution is planned again once it answers',
        );
        return durably(() => this.releasePlanning(executionId));
      }
      this.logger.error({ err: error, executionId }, 'Planning failed');
      return durably(() =>
        this.markPlanned(executionId, `Planning failed: ${(error as Error).message}`),
      );
    }
    await durably(() => this.markPlanned(executionId, null));
  }

  /** Gives up this process's planning lease at once, so the next pass plans it again. */
  private async releasePlanning(executionId: string): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE execution SET lease_expires_at = now() - interval '1 second'
       WHERE id = $1 AND lease_owner = $2 AND NOT planned`,
      [executionId, this.instance.value],
    );
  }

  /**
   * Planning is over: workers may finish the execution. A planning error fails the
   * execution once its tasks are done (the tasks already planned still run).
   */
  private async markPlanned(executionId: string, planningError: string | null): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE execution SET planned = true, lease_owner = NULL, lease_expires_at = NULL, planning_error = $2
       WHERE id = $1 AND lease_owner = $3`,
      [executionId, planningError, this.instance.value],
    );
  }

  private async renewPlanningLeases(): Promise<void> {
    if (!this.planning.size) return;
    await queryRows(
      this.dataSource,
      `UPDATE execution SET lease_expires_at = now() + make_interval(secs => $3)
       WHERE id = ANY($1) AND lease_owner = $2`,
      [[...this.planning.keys()], this.instance.value, this.config.taskLeaseSeconds],
    );
  }

  /** Ends executions whose last task finished while their finisher call was lost. */
  private async finishStragglers(): Promise<void> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `SELECT e.id FROM execution e
       WHERE e.status = 'running' AND e.planned
         AND NOT EXISTS (SELECT 1 FROM task t WHERE t.execution_id = e.id AND t.status IN ('pending', 'running'))
       LIMIT 100`,
    );
    for (const row of rows) await this.finisher.finishIfDone(row.id);
  }
}
