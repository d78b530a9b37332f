import { Injectable } from '@nestjs/common';
import type { PlanRun } from '../planning/plan-run.js';
import type { ReplicationSpec } from '../planning/replication-spec.js';
import type { ExecutionOwner, OwnerKind } from './execution-owner.js';

/** What the engine asks of a kind of owner. */
export interface OwnerHandler {
  /**
   * What an execution of this owner plans: the source walk and the destinations to
   * compare, planned as policies are. Kinds whose executions are created with their
   * tasks (one-off copies) have neither this nor `plan`.
   */
  spec?(owner: ExecutionOwner): Promise<ReplicationSpec>;
  /** Plans an execution itself (instead of `spec`), adding its tasks to the run. */
  plan?(run: PlanRun): Promise<void>;
  /** Names people see, by id; an id that no longer exists is absent. */
  names(ownerIds: readonly string[]): Promise<Map<string, string>>;
}

export class UnknownOwnerKindError extends Error {
  override name = 'UnknownOwnerKindError';
}

/**
 * The kinds of owner executions can have, each registered by the module that owns
 * them (policies by PolicyOwner, copies by CopiesService; topologies and promotions
 * add theirs), so the engine itself knows none of them.
 */
@Injectable()
export class ExecutionOwners {
  private readonly handlers = new Map<OwnerKind, OwnerHandler>();

  register(kind: OwnerKind, handler: OwnerHandler): void {
    if (this.handlers.has(kind)) throw new Error(`Owner kind ${kind} is registered twice`);
    this.handlers.set(kind, handler);
  }

  /** How an execution of this owner is planned. */
  planning(
    owner: ExecutionOwner,
  ): { plan: (run: PlanRun) => Promise<void> } | { spec: () => Promise<ReplicationSpec> } {
    const handler = this.handler(owner.kind);
    if (handler.plan) return { plan: handler.plan.bind(handler) };
    if (handler.spec) return { spec: () => handler.spec!(owner) };
    throw new UnknownOwnerKindError(`Executions of a ${owner.kind} are not planned`);
  }

  /** Owner names, by `kind:id`; owners that no longer exist are absent. */
  async names(owners: readonly ExecutionOwner[]): Promise<Map<string, string>> {
    const byKind = new Map<OwnerKind, Set<string>>();
    for (const o of owners) byKind.set(o.kind, (byKind.get(o.kind) ?? new Set()).add(o.id));
    const result = new Map<string, string>();
    for (const [kind, ids] of byKind) {
      for (const [id, name] of await this.handler(kind).names([...ids]))
        result.set(ownerKey({ kind, id }), name);
    }
    return result;
  }

  private handler(kind: OwnerKind): OwnerHandler {
    const handler = this.handlers.get(kind);
    if (!handler) throw new UnknownOwnerKindError(`No handler for executions of a ${kind}`);
    return handler;
  }
}

export function ownerKey(owner: ExecutionOwner): string {
  return `${owner.kind}:${owner.id}`;
}
