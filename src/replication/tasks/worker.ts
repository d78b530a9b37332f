import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subscription } from 'rxjs';
import { trailingThrottle } from '../../common/trailing-throttle.js';
import { AppConfig } from '../../config/app-config.js';
import { isDatabaseUnavailable, OutageBackoff } from '../../database/outage.js';
import { ShutdownState } from '../../observability/shutdown-state.js';
import { EventBus } from '../event-bus.js';
import { ExecutionFinisher } from '../executions/execution-finisher.js';
import { InstanceId } from '../instance-id.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { DeliveryHooks } from './delivery-hooks.js';
import { TaskExecutor, type TaskOutcome } from './task-executor.js';
import { SHUTDOWN_REASON, TaskOutcomes, type AbortReason, type Attempt } from './task-outcomes.js';
import { TaskQueue, type ClaimedTask, type Lease } from './task-queue.js';

interface Running extends Attempt {
  controller: AbortController;
  done: Promise<void>;
}

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Runs tasks from the queue, up to REGRELAY_WORKERS at once: claims, renews leases,
 * aborts on stop (its own or another replica's), retries with backoff by putting the
 * task back with a not-before time (so a dead destination holds no worker while it
 * waits), and returns in-flight tasks to the queue on shutdown without spending an
 * attempt (TaskOutcomes records each of these).
 *
 * The database may go away at any moment (a failover): claiming backs off until it
 * answers, and an attempt that ended meanwhile keeps its outcome and records it once
 * the database is back (still under its lease, so never twice). An attempt that
 * failed only because the database was unreachable goes back to the queue without
 * spending an attempt.
 */
@Injectable()
export class Worker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Worker.name);
  private readonly running = new Map<string, Running>();
  private readonly lease: Lease;
  /** Aborted at shutdown: ends waits for the database. */
  private readonly closing = new AbortController();
  private stopping = false;
  private wake?: () => void;
  /** Work was announced since the loop last began to claim: claim again before idling. */
  private nudged = false;
  private loops: Promise<void>[] = [];
  private subscription = new Subscription();
  private readonly outcomes: TaskOutcomes;

  constructor(
    private readonly config: AppConfig,
    private readonly queue: TaskQueue,
    private readonly executor: TaskExecutor,
    finisher: ExecutionFinisher,
    private readonly bus: EventBus,
    private readonly metrics: ReplicationMetrics,
    private readonly shutdown: ShutdownState,
    private readonly instance: InstanceId,
    hooks: DeliveryHooks,
  ) {
    this.lease = { owner: this.instance.value, seconds: config.taskLeaseSeconds };
    this.outcomes = new TaskOutcomes({
      config,
      queue,
      finisher,
      bus,
      metrics,
      hooks,
      logger: this.logger,
      owner: this.lease.owner,
      closing: this.closing.signal,
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.workers === 0) return;
    this.subscription.add(
      this.bus.of('tasks.available', 'execution.started').subscribe(() => this.nudge()),
    );
    this.subscription.add(
      this.bus.of('execution.stop').subscribe((e) => {
        for (const r of this.running.values())
          if (r.task.executionId === e.executionId) this.abort(r, 'stop');
      }),
    );
    this.subscription.add(this.shutdown.onDrain(() => void this.drain()));
    this.loops = [this.claimLoop(), this.renewLoop()];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /** Stops claiming, aborts what runs and hands it back to the queue. */
  private async drain(): Promise<void> {
    if (this.stopping) return Promise.all(this.loops).then(() => undefined);
    this.stopping = true;
    this.closing.abort();
    this.subscription.unsubscribe();
    this.nudge();
    for (const r of this.running.values()) this.abort(r, 'shutdown');
    await Promise.all([...this.running.values()].map((r) => r.done));
    await Promise.all(this.loops);
  }

  /** Leases of this process's dead predecessor are ours to take at once (see InstanceId). */
  private async takeOverPredecessors(): Promise<void> {
    const prefix = this.instance.predecessors;
    if (!prefix) return;
    try {
      const n = await this.queue.takeOverFrom(prefix, this.lease.owner);
      if (n)
        this.logger.log(
          { tasks: n },
          'Took over the running tasks of the previous instance on this data directory',
        );
    } catch (error) {
      this.logger.warn(
        { err: error },
        "Could not take over the previous instance's tasks; their leases will expire",
      );
    }
  }

  private async claimLoop(): Promise<void> {
    await this.takeOverPredecessors();
    const backoff = new OutageBackoff(this.config.pollIntervalMs);
    while (!this.stopping) {
      let claimed = 0;
      this.nudged = false;
      try {
        const free = this.config.workers - this.running.size;
        // Never our own running tasks, even if their lease ran out while the database was away.
        const tasks = await this.queue.claim(free, this.lease, [...this.running.keys()]);
        if (this.stopping) {
          // Shutdown began while this claim was under way: hand these back unstarted.
          await this.handBack(tasks);
          break;
        }
        claimed = tasks.length;
        if (!backoff.fresh) this.logger.log('The database answers again; claiming tasks resumed');
        backoff.reset();
        for (const task of tasks) this.start(task);
      } catch (error) {
        if (!isDatabaseUnavailable(error)) {
          this.logger.error({ err: error }, 'Claiming tasks failed');
        } else {
          if (backoff.fresh)
            this.logger.warn({ err: error }, 'The database is unreachable; claiming waits for it');
          await this.idle(backoff.next());
          continue;
        }
      }
      // Full, or nothing to claim: wait for a finished task, an event, or the poll. An
      // event that came while claiming may name tasks the claim did not see yet.
      const wait = claimed === 0 || this.running.size >= this.config.workers;
      if (wait && !this.nudged) await this.idle();
    }
  }

  private async handBack(tasks: ClaimedTask[]): Promise<void> {
    if (tasks.length)
      this.logger.log({ tasks: tasks.length }, 'Shutdown began during a claim: the tasks go back');
    for (const task of tasks)
      await this.outcomes
        .release(task, SHUTDOWN_REASON)
        .catch((error: unknown) =>
          this.logger.warn(
            { err: error, taskId: task.id },
            'Could not hand a task back; its lease will expire',
          ),
        );
  }

  /** Wakes the claim loop now, or makes it claim again when it is claiming. */
  private nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private idle(ms = this.config.pollIntervalMs): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async renewLoop(): Promise<void> {
    const every = (this.config.taskLeaseSeconds * 1000) / 3;
    while (!this.stopping) {
      // Stop requests arrive within ~2 s even if NOTIFY is lost; shutdown ends the wait.
      await sleep(Math.min(every, 2000), undefined, { signal: this.closing.signal }).catch(
        () => undefined,
      );
      if (this.stopping || this.running.size === 0) continue;
      try {
        const result = await this.queue.renew([...this.running.keys()], this.lease);
        for (const id of result.stopping) this.abortById(id, 'stop');
        for (const id of result.lost) this.abortById(id, 'lease-lost');
      } catch (error) {
        // While the database is away nobody else can take the leases either; the
        // first renewal after it is back says which ones we still hold.
        if (!isDatabaseUnavailable(error))
          this.logger.warn({ err: error }, 'Renewing task leases failed');
      }
    }
  }

  private start(task: ClaimedTask): void {
    const controller = new AbortController();
    const entry: Running = {
      task,
      controller,
      done: Promise.resolve(),
      started: process.hrtime.bigint(),
    };
    this.running.set(task.id, entry);
    this.outcomes.began(entry);
    entry.done = this.run(entry)
      .catch((error: unknown) =>
        // Nothing recorded: the lease runs out and the task is claimed again.
        this.logger.error(
          { err: error, taskId: task.id, executionId: task.executionId },
          'Could not record the outcome of a task attempt; it will run again',
        ),
      )
      .then(() => this.outcomes.settle(entry))
      .finally(() => {
        this.running.delete(task.id);
        this.nudge();
      });
  }

  /** One attempt of a task: give up, or execute it and record what came of it. */
  private async run(entry: Running): Promise<void> {
    const { task } = entry;
    if (task.attempts > this.config.taskMaxAttempts) {
      await this.outcomes.finish(entry, 'failed', `Gave up after ${task.attempts - 1} attempts`, 0);
      return;
    }
    await this.bus.publish({
      type: 'task.started',
      executionId: task.executionId,
      taskId: task.id,
      repository: task.sourceRepository,
      tag: task.tag,
      destinationRegistryId: task.destinationRegistryId,
      attempt: task.attempts,
    });
    const progress = this.progressReporter(task);
    let outcome: TaskOutcome;
    try {
      outcome = await this.executor.execute(task, entry.controller.signal, (done, total) =>
        progress.call(done, total),
      );
    } catch (error) {
      progress.cancel();
      await this.outcomes.failed(entry, error);
      return;
    }
    progress.cancel(); // the final numbers go with the outcome
    await this.outcomes.bestEffort('bytes metric', task, () =>
      this.metrics.bytesMoved(task.owner, task.destinationRegistryId, outcome.bytesMoved),
    );
    await this.outcomes.finish(
      entry,
      outcome.status,
      outcome.reason ?? null,
      outcome.bytesMoved,
      outcome.bytesTotal,
      outcome,
    );
  }

  /**
   * Progress to the database and to SSE clients, throttled. The first report waits
   * an interval: a task done sooner reports its numbers only with its outcome,
   * sparing a small artifact an UPDATE and a NOTIFY.
   */
  private progressReporter(task: ClaimedTask) {
    return trailingThrottle(
      PROGRESS_INTERVAL_MS,
      (bytesDone: number, bytesTotal: number) => {
        void this.queue
          .progress(task.id, this.lease.owner, bytesDone, bytesTotal)
          .catch(() => undefined);
        void this.bus.publish({
          type: 'task.progress',
          executionId: task.executionId,
          taskId: task.id,
          bytesDone,
          bytesTotal,
        });
      },
      { delayFirst: true },
    );
  }

  private abortById(taskId: string, reason: AbortReason): void {
    const entry = this.running.get(taskId);
    if (entry) this.abort(entry, reason);
  }

  private abort(entry: Running, reason: AbortReason): void {
    if (entry.abortReason) return;
    entry.abortReason = reason;
    entry.controller.abort(new Error(`task ${reason === 'stop' ? 'stopped' : reason}`));
  }
}
