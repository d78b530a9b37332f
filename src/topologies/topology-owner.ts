import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { ExecutionEntity } from '../replication/executions/execution.entity.js';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { LedgerService } from '../replication/ledger/ledger.service.js';
import { ExecutionOwners } from '../replication/owners/execution-owners.js';
import type { PlanRun } from '../replication/planning/plan-run.js';
import { ReplicationMetrics } from '../replication/replication-metrics.js';
import { NodeStates } from './node-states.js';
import { PairPlanner } from './pair-planner.js';
import { shapeOf, TopologiesService } from './topologies.service.js';
import { TopologyMetrics } from './topology-metrics.js';
import { rootSpec, settingsOf, SYNC_LANE, topologyOwner } from './topology-settings.js';
import type { TopologyEntity } from './topology.entity.js';
import { TreeSync } from './tree-sync.js';

/**
 * Topologies as owners of executions. A tree runs one lane per edge: the root's edge
 * is planned from the root's events like a policy; every other edge gets its tasks
 * by delivery (TreeChain); the `sync` lane compares every node with the root. A pair
 * runs one lane, planned by the three-way comparison. A change applies to waiting
 * and running executions; a deletion takes the topology's executions and ledger.
 */
@Injectable()
export class TopologyOwner implements OnModuleDestroy {
  private readonly logger = new Logger(TopologyOwner.name);
  private readonly subscription: Subscription;

  constructor(
    owners: ExecutionOwners,
    private readonly topologies: TopologiesService,
    private readonly executions: ExecutionsService,
    private readonly ledger: LedgerService,
    private readonly pairs: PairPlanner,
    private readonly trees: TreeSync,
    private readonly states: NodeStates,
    private readonly metrics: TopologyMetrics,
    private readonly replicationMetrics: ReplicationMetrics,
  ) {
    owners.register('topology', {
      names: async (ids) =>
        new Map([...(await topologies.getMany(ids))].map(([id, t]) => [id, t.name])),
      plan: (run) => this.plan(run),
    });
    this.subscription = topologies.changes$.subscribe(({ topologyId, topology }) => {
      void this.changed(topologyId, topology).catch((error: unknown) =>
        this.logger.warn({ err: error, topologyId }, 'Could not apply a topology change'),
      );
    });
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  /** A full pass now: a tree's every node against its root, a pair's every tag. */
  async sync(t: TopologyEntity): Promise<{ execution: ExecutionEntity; coalesced: boolean }> {
    const lane = t.kind === 'tree' ? SYNC_LANE : undefined;
    return this.executions.enqueue(topologyOwner(t, lane), 'manual', null, settingsOf(t));
  }

  private async plan(run: PlanRun): Promise<void> {
    const t = await this.topologies.get(run.owner.id);
    if (t.kind === 'dual-master') {
      const found = await this.pairs.plan(
        {
          scope: run.execution.scope,
          executionId: run.execution.id,
          signal: run.signal,
          add: run.add,
          setMessage: run.setMessage,
          dryRun: false,
        },
        t,
      );
      if (found.complete) {
        await this.states.checked(t.id, found.registries[0], found.drift.a);
        await this.states.checked(t.id, found.registries[1], found.drift.b);
      }
      return;
    }
    if (run.owner.lane === SYNC_LANE) {
      const drift = await this.trees.compare(t, {
        signal: run.signal,
        add: run.add,
        dryRun: false,
        held: run.setMessage,
      });
      for (const [registryId, found] of drift) await this.states.checked(t.id, registryId, found);
      return;
    }
    if (run.owner.lane !== shapeOf(t).root.registryId)
      throw new Error(
        `topology ${t.name}: an edge below the root gets its tasks by delivery; it is not planned`,
      );
    await run.planSpec(rootSpec(t));
  }

  private async changed(topologyId: string, topology: TopologyEntity | undefined): Promise<void> {
    const owner = topologyOwner({ id: topologyId });
    this.metrics.forget(topologyId);
    this.replicationMetrics.forget(topologyId);
    if (topology) {
      await this.executions.applySettings(owner, settingsOf(topology));
      return;
    }
    await this.executions.deleteOwned(owner);
    await this.ledger.forgetOwner(owner);
  }
}
