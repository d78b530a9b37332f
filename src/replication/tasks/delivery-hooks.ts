import { Injectable } from '@nestjs/common';
import type { OwnerKind } from '../owners/execution-owner.js';
import type { ClaimedTask } from './task-queue.js';

/**
 * What a task achieved at its destination: the artifact is there (copied now, or
 * found already there), or the tag is gone from it (deleted now, or already gone).
 */
export type Delivery = 'present' | 'removed';

export interface DeliveryHook {
  /** The destination holds the result; runs inside the attempt (see the class). */
  delivered(task: ClaimedTask, delivery: Delivery): Promise<void>;
  /** The task failed for good (no more retries); best effort, after it was recorded. */
  failed?(task: ClaimedTask, reason: string): Promise<void>;
}

/**
 * Work an owner kind chains onto its tasks, run inside the task attempt right after
 * the destination holds the result and before the task is recorded as done: a tree
 * topology triggers the next level for exactly the artifact just delivered. A hook
 * that fails fails the attempt, which is retried (the copy itself is then found in
 * place), so a chained step is never lost to a crash: at least once.
 */
@Injectable()
export class DeliveryHooks {
  private readonly hooks = new Map<OwnerKind, DeliveryHook>();

  register(kind: OwnerKind, hook: DeliveryHook): void {
    if (this.hooks.has(kind)) throw new Error(`A delivery hook for ${kind} is registered twice`);
    this.hooks.set(kind, hook);
  }

  async delivered(task: ClaimedTask, delivery: Delivery): Promise<void> {
    await this.hooks.get(task.owner.kind)?.delivered(task, delivery);
  }

  async failed(task: ClaimedTask, reason: string): Promise<void> {
    await this.hooks.get(task.owner.kind)?.failed?.(task, reason);
  }
}
