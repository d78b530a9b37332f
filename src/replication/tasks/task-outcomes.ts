import type { Logger } from '@nestjs/common';
import { describeError } from '../../common/describe-error.js';
import type { AppConfig } from '../../config/app-config.js';
import { isDatabaseUnavailable, logOutage, whileDatabaseDown } from '../../database/outage.js';
import type { EventBus } from '../event-bus.js';
import type { ExecutionFinisher } from '../executions/execution-finisher.js';
import type { ReplicationMetrics } from '../replication-metrics.js';
import type { DeliveryHooks } from './delivery-hooks.js';
import { ExecutionEndChecks } from './execution-end-checks.js';
import { classifyFailure } from './failure.js';
import type { TaskOutcome } from './task-executor.js';
import type { ClaimedTask, TaskQueue } from './task-queue.js';

/** Why a running task's signal was aborted. */
export type AbortReason = 'stop' | 'lease-lost' | 'shutdown';

/** One attempt of a task, as the worker runs it. */
export interface Attempt {
  task: ClaimedTask;
  /** Set when the worker aborted the attempt, before it aborts the signal. */
  abortReason?: AbortReason;
  /** When the attempt started (hrtime), for durations. */
  started: bigint;
  /** Set once the attempt recorded a final status for its task. */
  ended?: boolean;
}

export type FinalStatus = 'succeeded' | 'skipped' | 'failed' | 'stopped';

export const SHUTDOWN_REASON = 'returned to the queue at shutdown';

interface Deps {
  config: AppConfig;
  queue: TaskQueue;
  finisher: ExecutionFinisher;
  bus: EventBus;
  metrics: ReplicationMetrics;
  hooks: DeliveryHooks;
  logger: Logger;
  /** This worker's lease owner. */
  owner: string;
  /** Aborted at shutdown: ends waits for the database. */
  closing: AbortSignal;
}

/**
 * Records what came of a task attempt: finished, stopped, handed back, retried later
 * or failed. A state change waits for the database if it is away (until shutdown):
 * each is guarded by the lease, so it lands once or not at all. What follows a
 * recorded outcome (metrics, events, hooks, ending the execution) is best effort and
 * never undoes it by throwing.
 */
export class TaskOutcomes {
  private readonly endChecks = new ExecutionEndChecks();

  constructor(private readonly d: Deps) {}

  /** An attempt starts; `settle` must follow once it is over, whatever came of it. */
  began(attempt: Attempt): void {
    this.endChecks.began(attempt.task.executionId);
  }

  /**
   * An attempt is over: ends its execution if that was the last of its tasks (the
   * last attempt of the execution here to settle looks for the others; see
   * ExecutionEndChecks). Lost to an outage, the end is found by the runner's
   * straggler pass.
   */
  async settle(attempt: Attempt): Promise<void> {
    const { task } = attempt;
    if (!this.endChecks.settled(task.executionId, attempt.ended === true)) return;
    await this.bestEffort('finishing the execution', task, () =>
      this.d.finisher.finishIfDone(task.executionId),
    );
  }

  /** An attempt threw: stopped, handed back, taken over, retried later, or failed. */
  async failed(attempt: Attempt, error: unknown): Promise<void> {
    const { task } = attempt;
    const { logger, config } = this.d;
    switch (attempt.abortReason) {
      case 'stop':
        return this.finish(attempt, 'stopped', 'execution stopped', 0);
      case 'shutdown':
        // Not the task's fault: its attempt is given back.
        await this.release(task, SHUTDOWN_REASON);
        return;
      case 'lease-lost':
        logger.warn(
          { taskId: task.id },
          'Lost the lease of a running task; another worker owns it now',
        );
        return;
    }
    const message = describeError(error);
    const context = { taskId: task.id, executionId: task.executionId, attempt: task.attempts };
    if (isDatabaseUnavailable(error)) {
      // The attempt could not read or record what it needed: no fault of the task's.
      logger.warn({ ...context, err: message }, 'Task attempt interrupted by a database outage');
      await this.release(task, `interrupted by a database outage: ${message}`);
      return;
    }
    const failure = classifyFailure(error);
    if (!failure.retryable || task.attempts >= config.taskMaxAttempts) {
      logger.warn({ ...context, err: message }, 'Task failed');
      return this.finish(attempt, 'failed', message, 0);
    }
    const delay = backoff(task.attempts, failure.retryAfterMs);
    this.d.metrics.retries.inc({ reason: failure.reason });
    logger.warn({ ...context, delayMs: delay, err: message }, 'Task attempt failed; will retry');
    if (
      await this.record(task, () => this.d.queue.retryLater(task.id, this.d.owner, message, delay))
    ) {
      setTimeout(
        () => void this.d.bus.publish({ type: 'tasks.available', executionId: task.executionId }),
        delay,
      ).unref();
    }
  }

  async finish(
    attempt: Attempt,
    status: FinalStatus,
    reason: string | null,
    bytes: number,
    bytesTotal?: number,
    written: Pick<TaskOutcome, 'referrersCopied' | 'writtenDigest'> = {},
  ): Promise<void> {
    const { task } = attempt;
    const recorded = await this.record(task, () =>
      this.d.queue.finish(task.id, this.d.owner, {
        status,
        reason,
        bytesDone: status === 'succeeded' ? Math.max(bytes, bytesTotal ?? 0) : undefined,
        bytesTotal,
        referrersCopied: written.referrersCopied,
        writtenDigest: written.writtenDigest,
      }),
    );
    if (!recorded) return;
    attempt.ended = true;
    const seconds = Number(process.hrtime.bigint() - attempt.started) / 1e9;
    await this.bestEffort('task metric', task, () =>
      this.d.metrics.taskFinished(task, status, seconds),
    );
    await this.d.bus.publish({
      type: 'task.finished',
      executionId: task.executionId,
      taskId: task.id,
      status,
      reason,
      bytes,
    });
    if (status === 'failed')
      await this.bestEffort('a failure hook', task, () =>
        this.d.hooks.failed(task, reason ?? 'failed'),
      );
  }

  /** Back to the queue at once, its attempt given back. */
  release(task: ClaimedTask, reason: string): Promise<boolean> {
    return this.record(task, () => this.d.queue.release(task.id, this.d.owner, reason));
  }

  async bestEffort(what: string, task: ClaimedTask, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.d.logger.warn({ err: error, taskId: task.id }, `After a task: ${what} failed`);
    }
  }

  private record<T>(task: ClaimedTask, write: () => Promise<T>): Promise<T> {
    return whileDatabaseDown(write, {
      signal: this.d.closing,
      onOutage: logOutage(this.d.logger, 'recording a task', { taskId: task.id }),
    });
  }
}

/** Exponential backoff with full jitter, capped at 2 minutes; a Retry-After wins if longer. */
export function backoff(attempt: number, retryAfterMs = 0): number {
  const cap = Math.min(120_000, 2000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs, Math.round(cap / 2 + (Math.random() * cap) / 2));
}
