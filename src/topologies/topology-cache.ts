import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { TopologiesService } from './topologies.service.js';
import type { TopologyEntity } from './topology.entity.js';

/** Another replica's change shows within this. */
const MAX_AGE_MS = 30_000;

/**
 * Topologies as tasks read them (one read per topology and 30 s, not one per
 * delivered artifact); a change made through this replica applies at once.
 */
@Injectable()
export class TopologyCache implements OnModuleDestroy {
  private readonly entries = new Map<
    string,
    { at: number; value: Promise<TopologyEntity | undefined> }
  >();
  private readonly subscription: Subscription;

  constructor(private readonly topologies: TopologiesService) {
    this.subscription = topologies.changes$.subscribe(({ topologyId }) =>
      this.entries.delete(topologyId),
    );
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  /** The topology, or undefined once it is deleted. */
  get(id: string): Promise<TopologyEntity | undefined> {
    const cached = this.entries.get(id);
    if (cached && Date.now() - cached.at < MAX_AGE_MS) return cached.value;
    const value = this.topologies.getMany([id]).then((m) => m.get(id));
    this.entries.set(id, { at: Date.now(), value });
    value.catch(() => this.entries.delete(id));
    return value;
  }
}
