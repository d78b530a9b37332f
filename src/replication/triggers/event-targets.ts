import { Injectable } from '@nestjs/common';
import type { ExecutionEntity, ExecutionScope } from '../executions/execution.entity.js';
import type { ExecutionOwner } from '../owners/execution-owner.js';
import type { NameFilters } from '../planning/replication-spec.js';

/** A registry event as a target sees it. */
export interface TargetEvent {
  action: 'push' | 'delete';
  repository: string;
  tag: string | null;
  digest: string | null;
  occurredAt: Date;
}

/**
 * Something that wants a registry's events: an event-triggered policy of that
 * source, a tree topology whose root it is, a dual-master pair it belongs to.
 */
export interface EventTarget extends NameFilters {
  /** Unique among a registry's targets. */
  id: string;
  owner: ExecutionOwner;
  /** Whether deletions reported by events concern it. */
  deletion: boolean;
  /**
   * Starts (or joins) the execution these events call for; undefined when they call
   * for none (regrelay's own writes reported back). A ConflictException means it no
   * longer wants events (disabled since it was listed).
   */
  trigger(
    scope: ExecutionScope,
    events: readonly TargetEvent[],
  ): Promise<{ execution: ExecutionEntity; coalesced: boolean } | undefined>;
}

export type EventTargetSource = (registryId: string) => Promise<EventTarget[]>;

/**
 * Who wants the events of a registry, asked by the event coalescer. Features that
 * react to events register a source (policies, topologies), so the coalescer knows
 * none of them.
 */
@Injectable()
export class EventTargets {
  private readonly sources: EventTargetSource[] = [];

  register(source: EventTargetSource): void {
    this.sources.push(source);
  }

  async forRegistry(registryId: string): Promise<EventTarget[]> {
    return (await Promise.all(this.sources.map((s) => s(registryId)))).flat();
  }
}
