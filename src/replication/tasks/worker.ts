import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subscription } from 'rxjs';
import { describeError } from '../../common/describe-error.js';
import { trailingThrottle } from '../../common/trailing-throttle.js';
import { AppConfig } from '../../config/app-config.js';
import { ShutdownState } from '../../observability/shutdown-state.js';
import { EventBus } from '../event-bus.js';
import { ExecutionFinisher } from '../executions/execution-finisher.js';
import { InstanceId } from '../instance-id.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { DeliveryHooks } from './delivery-hooks.js';
import { classifyFailure } from './failure.js';
import { TaskExecutor, type TaskOutcome } from './task-executor.js';
import { TaskQueue, type ClaimedTask, type Lease } from './task-queue.js';

/** Why a running task's signal was aborted. */
type AbortReason = 'stop' | 'lease-lost' | 'shutdown';

interface Running {
  task: ClaimedTask;
  controller: AbortController;
  abortReason?: AbortReason;
  done: Promise<void>;
  /** When the attempt started (hrtime), for durations. */
  started: bigint;
}

type FinalStatus = 'succeeded' | 'skipped' | 'failed' | 'stopped';

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Runs tasks from the queue, up to REGRELAY_WORKERS at once: claims, renews leases,
 * aborts on stop (its own or another replica's), retries with backoff by putting the
 * task back with a not-before time (so a dead destination holds no worker while it
 * waits), and returns in-flight tasks to the queue on shutdown.
 */
@Injectable()
export class Worker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Worker.name);
  private readonly running = new Map<string, Running>();
  private readonly lease: Lease;
  private stopping = false;
  private wake?: () => void;
  /** Work was announced since the loop last began to claim: claim again before idling. */
  private nudged = false;
  private loops: Promise<void>[] = [];
  private subscription = new Subscription();

  constructor(
    private readonly config: AppConfig,
    private readonly queue: TaskQueue,
    private readonly executor: TaskExecutor,
    private readonly finisher: ExecutionFinisher,
    private readonly bus: EventBus,
    private readonly metrics: ReplicationMetrics,
    private readonly shutdown: ShutdownState,
    private readonly instance: InstanceId,
    private readonly hooks: DeliveryHooks,
  ) {
    this.lease = { owner: this.instance.value, seconds: config.taskLeaseSeconds };
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
    this.subscription.unsubscribe();
    this.nudge();
    for (const r of this.running.values()) this.abort(r, 'shutdown');
    await Promise.all([...this.running.values()].map((r) => r.done));
    await Promise.all(this.loops);
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      this.nudged = false;
      try {
        const free = this.config.workers - this.running.size;
        const tasks = await this.queue.claim(free, this.lease);
        claimed = tasks.length;
        for (const task of tasks) this.start(task);
      } catch (error) {
        this.logger.error({ err: error }, 'Claiming tasks failed');
      }
      // Full, or nothing to claim: wait for a finished task, an event, or the poll. An
      // event that came while claiming may name tasks the claim did not see yet.
      const wait = claimed === 0 || this.running.size >= this.config.workers;
      if (wait && !this.nudged) await this.idle();
    }
  }

  /** Wakes the claim loop now, or makes it claim again when it is claiming. */
  private nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.config.pollIntervalMs);
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
      await sleep(Math.min(every, 2000)); // stop requests arrive within ~2 s even if NOTIFY is lost
      if (this.stopping || this.running.size === 0) continue;
      try {
        const result = await this.queue.renew([...this.running.keys()], this.lease);
        for (const id of result.stopping) this.abortById(id, 'stop');
        for (const id of result.lost) this.abortById(id, 'lease-lost');
      } catch (error) {
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
    entry.done = this.run(entry).finally(() => {
      this.running.delete(task.id);
      this.nudge();
    });
  }

  /** One attempt of a task: give up, or execute it and record what came of it. */
  private async run(entry: Running): Promise<void> {
    const { task } = entry;
    if (task.attempts > this.config.taskMaxAttempts) {
      await this.finish(entry, 'failed', `Gave up after ${task.attempts - 1} attempts`, 0);
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
      await this.failed(entry, error);
      return;
    }
    progress.cancel(); // the final numbers go with the outcome
    await this.metrics.bytesMoved(task.owner, task.destinationRegistryId, outcome.bytesMoved);
    await this.finish(
      entry,
      outcome.status,
      outcome.reason ?? null,
      outcome.bytesMoved,
      outcome.bytesTotal,
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

  /** An attempt threw: stopped, handed back, taken over, retried later, or failed. */
  private async failed(entry: Running, error: unknown): Promise<void> {
    const { task } = entry;
    switch (entry.abortReason) {
      case 'stop':
        return this.finish(entry, 'stopped', 'execution stopped', 0);
      case 'shutdown':
        await this.queue.retryLater(
          task.id,
          this.lease.owner,
          'returned to the queue at shutdown',
          0,
        );
        return;
      case 'lease-lost':
        this.logger.warn(
          { taskId: task.id },
          'Lost the lease of a running task; another worker owns it now',
        );
        return;
    }
    const failure = classifyFailure(error);
    const message = describeError(error);
    const context = { taskId: task.id, executionId: task.executionId, attempt: task.attempts };
    if (!failure.retryable || task.attempts >= this.config.taskMaxAttempts) {
      this.logger.warn({ ...context, err: message }, 'Task failed');
      return this.finish(entry, 'failed', message, 0);
    }
    const delay = backoff(task.attempts, failure.retryAfterMs);
    this.metrics.retries.inc({ reason: failure.reason });
    this.logger.warn(
      { ...context, delayMs: delay, err: message },
      'Task attempt failed; will retry',
    );
    if (await this.queue.retryLater(task.id, this.lease.owner, message, delay)) {
      setTimeout(
        () => void this.bus.publish({ type: 'tasks.available', executionId: task.executionId }),
        delay,
      ).unref();
    }
  }

  private async finish(
    entry: Running,
    status: FinalStatus,
    reason: string | null,
    bytes: number,
    bytesTotal?: number,
  ): Promise<void> {
    const { task } = entry;
    const recorded = await this.queue.finish(task.id, this.lease.owner, {
      status,
      reason,
      bytesDone: status === 'succeeded' ? Math.max(bytes, bytesTotal ?? 0) : undefined,
      bytesTotal,
    });
    if (!recorded) return;
    const seconds = Number(process.hrtime.bigint() - entry.started) / 1e9;
    await this.metrics.taskFinished(task, status, seconds);
    await this.bus.publish({
      type: 'task.finished',
      executionId: task.executionId,
      taskId: task.id,
      status,
      reason,
      bytes,
    });
    if (status === 'failed') {
      await this.hooks
        .failed(task, reason ?? 'failed')
        .catch((error: unknown) =>
          this.logger.warn({ err: error, taskId: task.id }, 'A failure hook failed'),
        );
    }
    await this.finisher.finishIfDone(task.executionId);
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

/** Exponential backoff with full jitter, capped at 2 minutes; a Retry-After wins if longer. */
export function backoff(attempt: number, retryAfterMs = 0): number {
  const cap = Math.min(120_000, 2000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs, Math.round(cap / 2 + (Math.random() * cap) / 2));
}
