import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';

/** A job to schedule: its cron expression (UTC) and what to do at each tick. */
export interface WantedJob {
  expression: string;
  onTick: () => void;
}

/**
 * A set of named cron jobs kept equal to what is wanted: jobs whose expression
 * changed are rescheduled, jobs no longer wanted stop. Schedulers of policies and
 * topologies call `reconcile` with their current wishes; claiming each tick once
 * across replicas is theirs (a row insert keyed by the scheduled instant).
 */
export class CronJobs {
  private readonly jobs = new Map<string, string>(); // name → expression

  constructor(private readonly scheduler: SchedulerRegistry) {}

  reconcile(wanted: ReadonlyMap<string, WantedJob>): void {
    for (const [name, expression] of this.jobs) {
      if (wanted.get(name)?.expression !== expression) this.unschedule(name);
    }
    for (const [name, job] of wanted) {
      if (this.jobs.has(name)) continue;
      this.scheduler.addCronJob(
        name,
        CronJob.from({
          cronTime: job.expression,
          timeZone: 'UTC',
          onTick: job.onTick,
          start: true,
        }),
      );
      this.jobs.set(name, job.expression);
    }
  }

  stopAll(): void {
    for (const name of [...this.jobs.keys()]) this.unschedule(name);
  }

  private unschedule(name: string): void {
    if (this.scheduler.doesExist('cron', name)) this.scheduler.deleteCronJob(name);
    this.jobs.delete(name);
  }
}
