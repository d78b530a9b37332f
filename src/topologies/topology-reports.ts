import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { RegistriesService } from '../registries/registries.service.js';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import type { PlannedTask } from '../replication/planning/task-batch.js';
import { Backlog } from './backlog.js';
import { Conflicts, type Conflict } from './conflicts.js';
import type {
  ConflictDto,
  PlannedActionDto,
  TopologyPlanDto,
  TopologyStatusDto,
} from './dto/topology-reports.dto.js';
import { NodeStates } from './node-states.js';
import { PairPlanner } from './pair-planner.js';
import { shapeOf, sidesOf, TopologiesService } from './topologies.service.js';
import { settingsOf, topologyOwner } from './topology-settings.js';

import { TreeSync } from './tree-sync.js';

/** Actions a dry run lists at most. */
const PLAN_ITEMS = 500;
/** A dry run answers within this, or reports what it found so far (truncated). */
const PLAN_BUDGET_MS = 60_000;

/** What people read about a topology: where each node stands, what a sync would do, conflicts. */
@Injectable()
export class TopologyReports {
  constructor(
    private readonly topologies: TopologiesService,
    private readonly registries: RegistriesService,
    private readonly states: NodeStates,
    private readonly backlog: Backlog,
    private readonly conflicts: Conflicts,
    private readonly trees: TreeSync,
    private readonly pairs: PairPlanner,
    private readonly executions: ExecutionsService,
  ) {}

  async status(id: string): Promise<TopologyStatusDto> {
    const t = await this.topologies.get(id);
    const [states, waiting, names, held] = await Promise.all([
      this.states.of(id),
      this.backlog.countsOf(id),
      this.registries.getMany(t.nodes.map((n) => n.registryId)),
      this.conflicts.list(id, { held: true, limit: 1, offset: 0 }),
    ]);
    const root = t.kind === 'tree' ? shapeOf(t).root.registryId : undefined;
    const sides = t.kind === 'dual-master' ? sidesOf(t) : [];
    const nodes = [...t.nodes].sort((a, b) => a.position - b.position);
    return {
      topologyId: id,
      kind: t.kind,
      conflictsHeld: held.total,
      nodes: nodes.map((n) => {
        const s = states.get(n.registryId);
        const pending = waiting.get(n.registryId) ?? 0;
        const isRoot = n.registryId === root;
        const drift = (s?.missing ?? 0) + (s?.different ?? 0);
        return {
          registryId: n.registryId,
          registry: names.get(n.registryId)?.name ?? null,
          role: isRoot ? 'root' : root ? 'node' : n.registryId === sides[0] ? 'first' : 'second',
          parent: n.parentRegistryId,
          inSync: isRoot
            ? true
            : s?.checkedAt
              ? drift === 0 && pending === 0
              : pending
                ? false
                : null,
          missing: s?.missing ?? null,
          different: s?.different ?? null,
          waiting: pending,
          lagSeconds: s?.lastLagSeconds ?? null,
          lastError: s?.lastError ?? null,
          lastErrorAt: s?.lastErrorAt?.toISOString() ?? null,
          lastSyncedAt: s?.lastDeliveredAt?.toISOString() ?? null,
          checkedAt: s?.checkedAt?.toISOString() ?? null,
        };
      }),
    };
  }

  /** A dry run of a full sync: what would be copied and deleted where; nothing changes. */
  async plan(id: string): Promise<TopologyPlanDto> {
    const t = await this.topologies.get(id);
    const found: PlannedActionDto[] = [];
    let copies = 0;
    let deletions = 0;
    const add = async (task: PlannedTask) => {
      if (task.operation === 'copy') copies++;
      else deletions++;
      if (found.length < PLAN_ITEMS) found.push(actionOf(task));
    };
    const signal = AbortSignal.timeout(PLAN_BUDGET_MS);
    let truncated = false;
    try {
      if (t.kind === 'tree') {
        await this.trees.compare(t, { signal, add, dryRun: true, held: async () => undefined });
      } else {
        await this.pairs.plan(
          {
            scope: null,
            executionId: null,
            signal,
            add,
            setMessage: async () => undefined,
            dryRun: true,
          },
          t,
        );
      }
    } catch (error) {
      if (!signal.aborted) throw error;
      truncated = true;
    }
    return {
      copies,
      deletions,
      items: found,
      truncated: truncated || copies + deletions > found.length,
    };
  }

  async listConflicts(
    id: string,
    filter: { held?: boolean; limit: number; offset: number },
  ): Promise<{ items: ConflictDto[]; total: number; limit: number; offset: number }> {
    await this.topologies.get(id);
    const page = await this.conflicts.list(id, filter);
    return {
      ...page,
      items: page.items.map(conflictDto),
      limit: filter.limit,
      offset: filter.offset,
    };
  }

  /** A person settles a held conflict: the chosen side's digest goes to the other side. */
  async resolve(id: string, conflictId: string, winner: string): Promise<ConflictDto> {
    const t = await this.topologies.get(id);
    const conflict = await this.conflicts.get(id, conflictId);
    if (conflict.resolvedAt)
      throw new ConflictException(`Conflict ${conflictId} is already settled`);
    const [a, b] = sidesOf(t);
    if (winner !== a && winner !== b)
      throw new BadRequestException({
        statusCode: 400,
        message: `registryId: ${winner} is not a side of topology ${t.name}`,
        errors: [{ field: 'registryId', reason: `not a side of topology ${t.name}` }],
      });
    const loser = winner === a ? b : a;
    const digest = conflict.digests[winner];
    if (!digest) throw new ConflictException(`The chosen side held no digest at ${conflict.tag}`);
    // Claim it first: two people resolving at once must not both copy.
    if (!(await this.conflicts.resolve(conflictId, 'manual', digest)))
      throw new ConflictException(`Conflict ${conflictId} is already settled`);
    await this.executions.enqueueTasks(topologyOwner(t), 'manual', settingsOf(t), [
      {
        operation: 'copy',
        sourceRegistryId: winner,
        sourceRepository: conflict.repository,
        destinationRegistryId: loser,
        destinationRepository: conflict.repository,
        tag: conflict.tag,
        digest,
        mediaType: null,
        status: 'pending',
        reason: 'conflict resolved by a person',
        destinationExpected: conflict.digests[loser] ?? '',
      },
    ]);
    return conflictDto(await this.conflicts.get(id, conflictId));
  }
}

function actionOf(task: PlannedTask): PlannedActionDto {
  return {
    action: task.operation,
    from: task.sourceRegistryId,
    to: task.destinationRegistryId,
    repository: task.destinationRepository,
    tag: task.tag,
    digest: task.digest,
  };
}

export function conflictDto(c: Conflict): ConflictDto {
  return {
    id: c.id,
    repository: c.repository,
    tag: c.tag,
    digests: c.digests,
    resolution: c.resolution,
    resolvedDigest: c.resolvedDigest,
    detectedAt: c.detectedAt.toISOString(),
    resolvedAt: c.resolvedAt?.toISOString() ?? null,
  };
}
