import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { LedgerService } from '../replication/ledger/ledger.service.js';
import type { AttachedComparison } from '../replication/planning/attached-comparison.js';
import { decideAttached, decideCopy } from '../replication/planning/decisions.js';
import { DeletionPlanner } from '../replication/planning/deletion-planner.js';
import type { PlanDestination } from '../replication/planning/plan-destination.js';
import { attachedReason, Planner } from '../replication/planning/planner.js';
import { compareSource } from '../replication/planning/source-comparison.js';
import { SourceWalker } from '../replication/planning/source-walker.js';
import type { TagComparison } from '../replication/planning/tag-comparator.js';
import type { PlannedTask } from '../replication/planning/task-batch.js';
import { shapeOf } from './topologies.service.js';
import { filtersOf, topologyOwner } from './topology-settings.js';
import type { TopologyEntity } from './topology.entity.js';
import type { TreeNode, TreeShape } from './tree-shape.js';

/** Where a sync's findings go: into an execution, or into a dry run's report. */
export interface SyncSink {
  signal: AbortSignal;
  add(task: PlannedTask): Promise<void>;
  /** Dry run: find deletions without deciding them (the ledger is left as it is). */
  dryRun: boolean;
  /** What the deletion guard held, in words. */
  held(message: string): Promise<void>;
}

/** What one node lacks, as a sync found it. */
export type NodeDrift = Map<string, { missing: number; different: number }>;

/**
 * Anti-entropy for a tree: compares every node with the root (one walk of the root,
 * every node asked per tag) and repairs from each node's parent — where the parent
 * already holds the root's digest; deeper nodes get it by delivery once their parent
 * has it. Deletions: a tag regrelay wrote at a node from its parent that the root no
 * longer has is deleted, under the deletion guard per node.
 */
@Injectable()
export class TreeSync {
  constructor(
    private readonly config: AppConfig,
    private readonly planner: Planner,
    private readonly ledger: LedgerService,
  ) {}

  async compare(t: TopologyEntity, sink: SyncSink): Promise<NodeDrift> {
    const shape = shapeOf(t);
    const nodes = shape.belowRoot();
    const { source, destinations } = await this.planner.clientsFor({
      sourceRegistryId: shape.root.registryId,
      filters: filtersOf(t),
      destinations: nodes.map((n) => ({ registryId: n.registryId, namespace: n.namespace })),
      override: t.override,
      deletion: t.deletion,
    });
    const byId = new Map(destinations.map((d) => [d.registryId, d]));
    const drift: NodeDrift = new Map(
      nodes.map((n) => [n.registryId, { missing: 0, different: 0 }]),
    );
    const walker = new SourceWalker(source, filtersOf(t), null, sink.signal);
    const deletions = t.deletion ? this.deletionPlanners(t, shape, byId, sink.signal) : undefined;
    await compareSource(
      {
        source,
        destinations,
        walker,
        concurrency: this.config.planningConcurrency,
        signal: sink.signal,
      },
      {
        page: async (comparisons) => {
          for (const c of comparisons)
            for (const task of repairs(t, shape, c, drift)) await sink.add(task);
        },
        attached: async (comparisons) => {
          for (const c of comparisons)
            for (const task of attachedRepairs(shape, c, drift)) await sink.add(task);
        },
        repository: async ({ repository, listed }) => {
          for (const [parent, planner] of deletions ?? [])
            await planner.repositoryListed(shape.repositoryAt(parent, repository.name), listed);
        },
      },
    );
    if (deletions) await this.planDeletions(shape, deletions, walker, sink);
    return drift;
  }

  /** One deletion planner per parent: its children, the tags it fed them. */
  private deletionPlanners(
    t: TopologyEntity,
    shape: TreeShape,
    clients: Map<string, PlanDestination>,
    signal: AbortSignal,
  ): Map<string, DeletionPlanner> {
    const planners = new Map<string, DeletionPlanner>();
    for (const parent of [shape.root, ...shape.belowRoot()]) {
      const children = shape
        .children(parent.registryId)
        .flatMap((c) => (clients.has(c.registryId) ? [clients.get(c.registryId)!] : []));
      if (!children.length) continue;
      planners.set(
        parent.registryId,
        new DeletionPlanner(
          this.ledger,
          topologyOwner(t),
          parent.registryId,
          children,
          this.config.deletionGuardShare,
          signal,
        ),
      );
    }
    return planners;
  }

  private async planDeletions(
    shape: TreeShape,
    planners: Map<string, DeletionPlanner>,
    walker: SourceWalker,
    sink: SyncSink,
  ): Promise<void> {
    const held: string[] = [];
    for (const [parent, planner] of planners) {
      // A repository gone from the root is gone everywhere below it.
      await planner.walkCompleted({
        matches: (name) => {
          const root = shape.rootRepository(parent, name);
          return root !== undefined && walker.repositories.matches(root);
        },
      });
      if (sink.dryRun) {
        for (const { written, decision } of await planner.classify()) {
          if (decision.action === 'delete' || decision.action === 'recheck')
            await sink.add(deleteOf(parent, written));
        }
        continue;
      }
      const { tasks, guarded } = await planner.plan(true);
      for (const task of tasks) await sink.add(task);
      for (const g of guarded)
        held.push(`${g.destinationRegistryId}: ${g.deletions} deletion(s) (${g.reason})`);
    }
    if (held.length)
      await sink.held(
        `Deletion guard held deletions at ${held.join('; ')}; nothing was deleted there. Confirm with POST /api/v1/executions/:id/confirm-deletions if intended.`,
      );
  }
}

/**
 * The copies one root tag calls for below the root: from each node's parent where the
 * parent already holds the root's digest (the root itself for its children).
 */
function repairs(
  t: TopologyEntity,
  shape: TreeShape,
  c: TagComparison,
  drift: NodeDrift,
): PlannedTask[] {
  if (c.source.kind !== 'present') return [];
  const digest = c.source.descriptor.digest;
  const states = new Map(c.destinations.map((d) => [d.destination.registryId, d.state]));
  const empty = new Set(
    c.destinations.filter((d) => d.emptyRepository).map((d) => d.destination.registryId),
  );
  const tasks: PlannedTask[] = [];
  for (const node of shape.belowRoot()) {
    const state = states.get(node.registryId);
    if (!state) continue; // its registry no longer exists
    const decision = decideCopy(c.source, state, t.override);
    const found = drift.get(node.registryId)!;
    if (decision.action === 'skip' && decision.destination === 'different') found.different++;
    if (decision.action !== 'copy') continue;
    if (decision.destination === 'absent') found.missing++;
    if (decision.destination === 'different') found.different++;
    const parent = node.parent!;
    const parentState = states.get(parent);
    const parentHasIt =
      parent === shape.root.registryId ||
      (parentState?.kind === 'present' && parentState.descriptor.digest === digest);
    if (!parentHasIt) continue; // it follows by delivery once the parent has it
    tasks.push({
      ...fromParent(shape, node, c.repository, {
        tag: c.tag,
        digest,
        mediaType: c.source.descriptor.mediaType,
        reason: null,
      }),
      ...(empty.has(node.registryId) ? { destinationEmpty: true } : {}),
    });
  }
  return tasks;
}

/**
 * The copies what is attached to a root image calls for below the root (a signature
 * deleted at a city, say): the subject by digest from each lacking node's parent,
 * which brings what is attached to it, where the parent holds it all (the root always
 * does); deeper nodes get it by delivery once their parent has it.
 */
function attachedRepairs(shape: TreeShape, c: AttachedComparison, drift: NodeDrift): PlannedTask[] {
  const states = new Map(c.destinations.map((d) => [d.destination.registryId, d.state]));
  const tasks: PlannedTask[] = [];
  for (const node of shape.belowRoot()) {
    const state = states.get(node.registryId);
    if (!state) continue; // it lacks the subject itself, or holds another digest
    const decision = decideAttached(state);
    if (decision.action === 'none') continue;
    drift.get(node.registryId)!.missing++;
    const parent = node.parent!;
    const parentComplete = parent === shape.root.registryId || states.get(parent)?.kind === 'same';
    if (!parentComplete) continue;
    tasks.push(
      fromParent(shape, node, c.repository, {
        tag: null,
        digest: c.subject.digest,
        mediaType: c.subject.mediaType,
        reason: attachedReason(c, decision.missing),
      }),
    );
  }
  return tasks;
}

/** A copy into a node from its parent, of a root repository (named as each node names it). */
function fromParent(
  shape: TreeShape,
  node: TreeNode,
  rootRepository: string,
  what: Pick<PlannedTask, 'tag' | 'digest' | 'mediaType' | 'reason'>,
): PlannedTask {
  const parent = node.parent!;
  return {
    operation: 'copy',
    sourceRegistryId: parent,
    sourceRepository: shape.repositoryAt(parent, rootRepository),
    destinationRegistryId: node.registryId,
    destinationRepository: shape.repositoryAt(node.registryId, rootRepository),
    ...what,
    status: 'pending',
  };
}

function deleteOf(
  parent: string,
  w: {
    destinationRegistryId: string;
    repository: string;
    tag: string;
    digest: string;
    originRepository: string;
  },
): PlannedTask {
  return {
    operation: 'delete',
    sourceRegistryId: parent,
    sourceRepository: w.originRepository,
    destinationRegistryId: w.destinationRegistryId,
    destinationRepository: w.repository,
    tag: w.tag,
    digest: w.digest,
    mediaType: null,
    status: 'pending',
    reason: null,
  };
}
