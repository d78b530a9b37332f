import type { ClaimedTask } from './task-queue.js';

/** What a task attempt achieved. */
export interface TaskOutcome {
  status: 'succeeded' | 'skipped';
  reason?: string;
  /** Blob bytes written to the destination by this attempt. */
  bytesMoved: number;
  /** Size of everything the artifact references, when known. */
  bytesTotal?: number;
  /** Attached artifacts (signatures, attestations, SBOMs…) written by this attempt. */
  referrersCopied?: number;
  /** The digest written at the destination when it is not the task's (a variant index). */
  writtenDigest?: string;
}

export interface TaskProgress {
  (bytesDone: number, bytesTotal: number): void;
}

/** Runs one task attempt; throws to fail it (the worker decides whether to retry). */
export abstract class TaskExecutor {
  abstract execute(
    task: ClaimedTask,
    signal: AbortSignal,
    progress: TaskProgress,
  ): Promise<TaskOutcome>;
}
