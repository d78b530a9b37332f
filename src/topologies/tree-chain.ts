import { Injectable, Logger } from '@nestjs/common';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { LedgerService } from '../replication/ledger/ledger.service.js';
import type { PlannedTask } from '../replication/planning/task-batch.js';
import { DeliveryHooks, type Delivery } from '../replication/tasks/delivery-hooks.js';
import { ExecutionReadCache } from '../replication/tasks/execution-read-cache.js';
import type { ClaimedTask } from '../replication/tasks/task-queue.js';
import { Backlog } from './backlog.js';
import { NodeStates } from './node-states.js';
import { shapeOf } from './topologies.service.js';
import { TopologyCache } from './topology-cache.js';
import { TopologyMetrics } from './topology-metrics.js';
import { edgeOwner, settingsOf } from './topology-settings.js';
import type { TopologyEntity } from './topology.entity.js';

/**
 * What follows a topology's task. In a tree, a node that has just received an
 * artifact (or lost a tag) passes exactly that on to its children, at once: the
 * next level starts as soon as its parent has it, not when the parent's execution
 * ends, and nodes below the root need no webhooks. Runs inside the task attempt
 * (DeliveryHooks), so a crash retries the task and the chain is not lost. A delivery
 * that failed for good waits in the backlog until its node answers again.
 */
@Injectable()
export class TreeChain {
  private readonly logger = new Logger(TreeChain.name);

  constructor(
    hooks: DeliveryHooks,
    private readonly topologies: TopologyCache,
    private readonly executions: ExecutionsService,
    private readonly ledger: LedgerService,
    private readonly cache: ExecutionReadCache,
    private readonly backlog: Backlog,
    private readonly states: NodeStates,
    private readonly metrics: TopologyMetrics,
  ) {
    hooks.register('topology', {
      delivered: (task, delivery) => this.delivered(task, delivery),
      failed: (task, reason) => this.failed(task, reason),
    });
  }

  private async delivered(task: ClaimedTask, delivery: Delivery): Promise<void> {
    const topology = await this.topologies.get(task.owner.id);
    if (!topology) return; // deleted since
    const eventAt = task.tag
      ? await this.cache.eventTime(task.executionId, task.sourceRepository, task.tag)
      : undefined;
    const lag = eventAt ? Math.max(0, (Date.now() - eventAt.getTime()) / 1000) : null;
    await this.states.delivered(topology.id, task.destinationRegistryId, lag);
    if (lag !== null && delivery === 'present')
      await this.metrics.arrived(topology.id, task.destinationRegistryId, lag);
    if (topology.kind === 'tree') await this.passOn(topology, task, delivery, eventAt);
  }

  /** The node that just got (or lost) the artifact hands it to its children. */
  private async passOn(
    topology: TopologyEntity,
    task: ClaimedTask,
    delivery: Delivery,
    eventAt: Date | undefined,
  ): Promise<void> {
    const shape = shapeOf(topology);
    const node = task.destinationRegistryId;
    const children = shape.children(node);
    const rootRepository = shape.rootRepository(node, task.destinationRepository);
    if (!children.length || rootRepository === undefined) return;
    const tasks: PlannedTask[] = [];
    for (const child of children) {
      const repository = shape.repositoryAt(child.registryId, rootRepository);
      const base = {
        sourceRegistryId: node,
        sourceRepository: task.destinationRepository,
        destinationRegistryId: child.registryId,
        destinationRepository: repository,
        tag: task.tag,
        status: 'pending' as const,
        reason: null,
      };
      if (delivery === 'present') {
        tasks.push({ ...base, operation: 'copy', digest: task.digest, mediaType: task.mediaType });
        continue;
      }
      if (!topology.deletion || !task.tag) continue;
      // Only what this topology wrote there, with the digest it wrote.
      const written = await this.ledger.lookup(child.registryId, repository, task.tag);
      if (written?.owner.kind === 'topology' && written.owner.id === topology.id)
        tasks.push({ ...base, operation: 'delete', digest: written.digest, mediaType: null });
    }
    if (!tasks.length) return;
    const since =
      eventAt && task.tag
        ? { [`${task.destinationRepository}:${task.tag}`]: eventAt.toISOString() }
        : {};
    await this.executions.enqueueTasks(
      edgeOwner(topology, node),
      'upstream',
      settingsOf(topology),
      tasks,
      since,
    );
  }

  private async failed(task: ClaimedTask, reason: string): Promise<void> {
    const topology = await this.topologies.get(task.owner.id);
    if (!topology) return;
    await this.states.failed(topology.id, task.destinationRegistryId, reason);
    // A tree's delivery waits for its node; a pair's next comparison repairs on its own.
    if (topology.kind !== 'tree' || !task.tag) return;
    const eventAt = await this.cache.eventTime(task.executionId, task.sourceRepository, task.tag!);
    await this.backlog.add({
      topologyId: topology.id,
      parentRegistryId: task.sourceRegistryId,
      childRegistryId: task.destinationRegistryId,
      eventAt: eventAt ?? null,
      task: { ...task, status: 'pending', reason: null },
    });
    this.logger.log(
      { topology: topology.name, node: task.destinationRegistryId, tag: task.tag },
      'A delivery waits for its node to answer again',
    );
  }
}
