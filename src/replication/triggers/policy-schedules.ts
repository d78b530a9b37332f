import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { logOutage } from '../../database/outage.js';
import { queryRows } from '../../database/sql.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import { EventBus } from '../event-bus.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { CronJobs, type WantedJob } from './cron-jobs.js';
import { scheduledInstant, tickSteps } from './cron-tick.js';

/** Other replicas' policy changes also arrive by event; this catches any that did not. */
const RESYNC_MS = 30_000;

/** What a schedule does at each tick. */
type Kind = 'execution' | 'reconcile';

/**
 * The schedules policies ask for: runs of cron-triggered policies, and each policy's
 * reconcile. Every replica schedules every one; at each tick they all try to record
 * (policy, kind, scheduled instant) in cron_tick, and only the one whose insert
 * succeeds acts: exactly once per tick, however many replicas run. UTC throughout.
 * A tick that falls in a database outage keeps trying (with backoff) until the next
 * tick is due; the replica whose insert lands once the database is back acts on it.
 */
@Injectable()
export class PolicySchedules implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PolicySchedules.name);
  private readonly jobs: CronJobs;
  private readonly subscription = new Subscription();
  private resync?: NodeJS.Timeout;
  private readonly closing = new AbortController();

  constructor(
    scheduler: SchedulerRegistry,
    private readonly policies: PoliciesService,
    private readonly executions: ExecutionsService,
    private readonly reconciler: Reconciler,
    private readonly bus: EventBus,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.jobs = new CronJobs(scheduler);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription.add(
      this.policies.changes$.subscribe(({ policyId }) => {
        void this.sync();
        void this.bus.publish({ type: 'policy.changed', policyId });
      }),
    );
    this.subscription.add(this.bus.of('policy.changed').subscribe(() => void this.sync()));
    this.resync = setInterval(() => void this.sync(), RESYNC_MS);
    await this.sync();
  }

  onApplicationShutdown(): void {
    this.closing.abort();
    clearInterval(this.resync);
    this.subscription.unsubscribe();
    this.jobs.stopAll();
  }

  /** Schedules what the database says, unschedules what it no longer says. */
  async sync(): Promise<void> {
    try {
      const wanted = new Map<string, WantedJob>();
      for (const policy of await this.policies.list()) {
        for (const [kind, expression] of schedulesOf(policy)) {
          wanted.set(jobName(policy.id, kind), {
            expression,
            onTick: () => void this.tick(policy.id, kind, expression),
          });
        }
      }
      this.jobs.reconcile(wanted);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not sync policy schedules');
    }
  }

  private async tick(policyId: string, kind: Kind, expression: string): Promise<void> {
    const now = new Date();
    const tickAt = scheduledInstant(expression, now);
    const durably = tickSteps(
      expression,
      now,
      this.closing.signal,
      logOutage(this.logger, 'a scheduled tick', { policyId, kind, tickAt }),
    );
    try {
      const won = await durably(() =>
        queryRows(
          this.dataSource,
          'INSERT INTO cron_tick (policy_id, kind, tick_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING policy_id',
          [policyId, kind, tickAt],
        ),
      );
      if (!won.length) return; // another replica has this tick
      if (kind === 'reconcile') {
        const report = await durably(() => this.reconciler.reconcile(policyId));
        await durably(() => this.recordTick(policyId, kind, tickAt, report.repairExecutionId));
        return;
      }
      const { execution, coalesced } = await durably(() =>
        this.executions.trigger(policyId, 'cron'),
      );
      await durably(() => this.recordTick(policyId, kind, tickAt, execution.id));
      this.logger.log(
        { policyId, tickAt, executionId: execution.id, coalesced },
        'Cron tick triggered an execution',
      );
    } catch (error) {
      this.logger.warn({ err: error, policyId, kind, tickAt }, 'A scheduled tick failed');
    }
  }

  private async recordTick(
    policyId: string,
    kind: Kind,
    tickAt: Date,
    executionId: string | null,
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      'UPDATE cron_tick SET execution_id = $4 WHERE policy_id = $1 AND kind = $2 AND tick_at = $3',
      [policyId, kind, tickAt, executionId],
    );
  }
}

/** The schedules an enabled policy has. */
function schedulesOf(policy: PolicyEntity): [Kind, string][] {
  if (!policy.enabled) return [];
  const schedules: [Kind, string][] = [];
  if (policy.triggerType === 'cron' && policy.triggerCron)
    schedules.push(['execution', policy.triggerCron]);
  if (policy.reconcileCron) schedules.push(['reconcile', policy.reconcileCron]);
  return schedules;
}

/** Execution schedules keep the name they always had (`policy:<id>`). */
function jobName(policyId: string, kind: Kind): string {
  return kind === 'execution' ? `policy:${policyId}` : `policy:${policyId}:${kind}`;
}
