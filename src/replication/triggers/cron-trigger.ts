import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { queryRows } from '../../database/sql.js';
import { PoliciesService } from '../../policies/policies.service.js';
import { EventBus } from '../event-bus.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { scheduledInstant } from './cron-tick.js';

/** Other replicas' policy changes also arrive by event; this catches any that did not. */
const RESYNC_MS = 30_000;

/**
 * Cron-triggered policies. Every replica schedules every cron policy; at each tick
 * they all try to record (policy, scheduled instant) in cron_tick, and only the one
 * whose insert succeeds triggers the execution: exactly one per tick, however many
 * replicas run. Schedules are in UTC.
 */
@Injectable()
export class CronTrigger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CronTrigger.name);
  private readonly jobs = new Map<string, string>(); // policy id → expression
  private readonly subscription = new Subscription();
  private resync?: NodeJS.Timeout;

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly policies: PoliciesService,
    private readonly executions: ExecutionsService,
    private readonly bus: EventBus,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

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
    clearInterval(this.resync);
    this.subscription.unsubscribe();
    for (const policyId of [...this.jobs.keys()]) this.unschedule(policyId);
  }

  /** Schedules what the database says, unschedules what it no longer says. */
  async sync(): Promise<void> {
    try {
      const wanted = new Map(
        (await this.policies.list())
          .filter((p) => p.enabled && p.triggerType === 'cron' && p.triggerCron)
          .map((p) => [p.id, p.triggerCron!]),
      );
      for (const [policyId, expression] of this.jobs) {
        if (wanted.get(policyId) !== expression) this.unschedule(policyId);
      }
      for (const [policyId, expression] of wanted) {
        if (!this.jobs.has(policyId)) this.schedule(policyId, expression);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not sync cron schedules');
    }
  }

  private schedule(policyId: string, expression: string): void {
    const job = CronJob.from({
      cronTime: expression,
      timeZone: 'UTC',
      onTick: () => void this.tick(policyId, expression),
      start: true,
    });
    this.scheduler.addCronJob(jobName(policyId), job);
    this.jobs.set(policyId, expression);
  }

  private unschedule(policyId: string): void {
    if (this.scheduler.doesExist('cron', jobName(policyId)))
      this.scheduler.deleteCronJob(jobName(policyId));
    this.jobs.delete(policyId);
  }

  private async tick(policyId: string, expression: string): Promise<void> {
    const tickAt = scheduledInstant(expression, new Date());
    try {
      const won = await queryRows(
        this.dataSource,
        `INSERT INTO cron_tick (policy_id, tick_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING policy_id`,
        [policyId, tickAt],
      );
      if (!won.length) return; // another replica has this tick
      const { execution, coalesced } = await this.executions.trigger(policyId, 'cron');
      await queryRows(
        this.dataSource,
        'UPDATE cron_tick SET execution_id = $3 WHERE policy_id = $1 AND tick_at = $2',
        [policyId, tickAt, execution.id],
      );
      this.logger.log(
        { policyId, tickAt, executionId: execution.id, coalesced },
        'Cron tick triggered an execution',
      );
    } catch (error) {
      this.logger.warn(
        { err: error, policyId, tickAt },
        'Cron tick could not trigger an execution',
      );
    }
  }
}

function jobName(policyId: string): string {
  return `policy:${policyId}`;
}
