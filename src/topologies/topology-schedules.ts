import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { logOutage } from '../database/outage.js';
import { queryRows } from '../database/sql.js';
import { CronJobs, type WantedJob } from '../replication/triggers/cron-jobs.js';
import { scheduledInstant, tickSteps } from '../replication/triggers/cron-tick.js';
import { TopologiesService } from './topologies.service.js';
import { TopologyOwner } from './topology-owner.js';

/** Other replicas' topology changes appear within this. */
const RESYNC_MS = 30_000;

/**
 * Each enabled topology's anti-entropy schedule (`reconcile.cron`, default hourly):
 * every replica schedules it, and the one that records the tick (topology,
 * scheduled instant) runs the sync: exactly once per tick. Like policy schedules, a
 * tick in a database outage keeps trying until the next one is due.
 */
@Injectable()
export class TopologySchedules implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TopologySchedules.name);
  private readonly jobs: CronJobs;
  private subscription?: Subscription;
  private resync?: NodeJS.Timeout;
  private readonly closing = new AbortController();

  constructor(
    scheduler: SchedulerRegistry,
    private readonly topologies: TopologiesService,
    private readonly owner: TopologyOwner,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.jobs = new CronJobs(scheduler);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.topologies.changes$.subscribe(() => void this.sync());
    this.resync = setInterval(() => void this.sync(), RESYNC_MS);
    this.resync.unref();
    await this.sync();
  }

  onApplicationShutdown(): void {
    this.closing.abort();
    clearInterval(this.resync);
    this.subscription?.unsubscribe();
    this.jobs.stopAll();
  }

  async sync(): Promise<void> {
    try {
      const wanted = new Map<string, WantedJob>();
      for (const t of await this.topologies.list()) {
        if (!t.enabled || !t.reconcileCron) continue;
        const expression = t.reconcileCron;
        wanted.set(`topology:${t.id}:sync`, {
          expression,
          onTick: () => void this.tick(t.id, expression),
        });
      }
      this.jobs.reconcile(wanted);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not sync topology schedules');
    }
  }

  private async tick(topologyId: string, expression: string): Promise<void> {
    const now = new Date();
    const tickAt = scheduledInstant(expression, now);
    const durably = tickSteps(
      expression,
      now,
      this.closing.signal,
      logOutage(this.logger, 'a scheduled topology sync', { topologyId, tickAt }),
    );
    try {
      const won = await durably(() =>
        queryRows(
          this.dataSource,
          'INSERT INTO topology_tick (topology_id, tick_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING topology_id',
          [topologyId, tickAt],
        ),
      );
      if (!won.length) return; // another replica has this tick
      await durably(() =>
        queryRows(
          this.dataSource,
          `DELETE FROM topology_tick WHERE topology_id = $1 AND tick_at < now() - interval '7 days'`,
          [topologyId],
        ),
      );
      const { execution } = await durably(async () =>
        this.owner.sync(await this.topologies.get(topologyId)),
      );
      await durably(() =>
        queryRows(
          this.dataSource,
          'UPDATE topology_tick SET execution_id = $3 WHERE topology_id = $1 AND tick_at = $2',
          [topologyId, tickAt, execution.id],
        ),
      );
    } catch (error) {
      this.logger.warn({ err: error, topologyId, tickAt }, 'A scheduled topology sync failed');
    }
  }
}
