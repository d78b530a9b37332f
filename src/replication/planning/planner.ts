import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { RegistriesService } from '../../registries/registries.service.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { EventBus } from '../event-bus.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { LedgerService } from '../ledger/ledger.service.js';
import type { ExecutionOwner } from '../owners/execution-owner.js';
import { ExecutionOwners } from '../owners/execution-owners.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { TagTimes } from '../selection/tag-times.js';
import type { AttachedComparison } from './attached-comparison.js';
import { decideAttached, decideCopy } from './decisions.js';
import { DeletionPlanner, type GuardDecision } from './deletion-planner.js';
import type { PlanDestination } from './plan-destination.js';
import type { PlanRun } from './plan-run.js';
import type { ReplicationSpec } from './replication-spec.js';
import { compareSource, type SourceComparisonContext } from './source-comparison.js';
import { SourceUnreadableError, SourceWalker } from './source-walker.js';
import type { TagComparison } from './tag-comparator.js';
import { TaskBatch, type PlannedTask } from './task-batch.js';

export class PlanningError extends Error {
  override name = 'PlanningError';
}

/** A spec's source and destinations, ready to be asked. */
export interface SpecClients {
  source: PlanDestination['client'];
  destinations: PlanDestination[];
}

/** What planning one spec needs besides the spec. */
interface SpecPlan {
  run: PlanRun;
  /** For log lines and metrics. */
  label: string;
  spec: ReplicationSpec;
  deletions?: DeletionPlanner;
}

/**
 * Plans executions. Most owners give a spec (a source, filters, destinations): the
 * planner works out what each destination lacks, and (with `deletion` on) what it
 * holds that the source no longer has — it compares the source page by page with
 * every destination (compareSource), turns each decision into a task per (artifact,
 * destination), skipped when nothing is to be done, pending otherwise, and writes
 * them in batches while listing goes on, so workers start copying before planning
 * ends. Deletions are decided at the end, from the ledger, under the deletion guard.
 * Owners that plan for themselves (ExecutionOwners: `plan`) get a PlanRun instead.
 */
@Injectable()
export class Planner {
  private readonly logger = new Logger(Planner.name);

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly executions: ExecutionsService,
    private readonly owners: ExecutionOwners,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly ledger: LedgerService,
    private readonly metrics: ReplicationMetrics,
    private readonly bus: EventBus,
    private readonly tagTimes: TagTimes,
  ) {}

  /** Clients for a spec's source and destinations (destinations that no longer exist are left out). */
  async clientsFor(spec: ReplicationSpec): Promise<SpecClients> {
    const registries = await this.registries.getMany([
      spec.sourceRegistryId,
      ...spec.destinations.map((d) => d.registryId),
    ]);
    const source = registries.get(spec.sourceRegistryId);
    if (!source)
      throw new PlanningError(`the source registry ${spec.sourceRegistryId} no longer exists`);
    const destinations = spec.destinations.flatMap((d) => {
      const registry = registries.get(d.registryId);
      return registry ? [{ ...d, client: this.clients.forRegistry(registry) }] : [];
    });
    return { source: this.clients.forRegistry(source), destinations };
  }

  async plan(executionId: string, owner: ExecutionOwner, signal: AbortSignal): Promise<void> {
    const execution = await this.executions.get(executionId);
    const batch = new TaskBatch(this.dataSource, executionId);
    const stop = new AbortController();
    const combined = AbortSignal.any([signal, stop.signal]);
    const flush = async () => {
      const before = batch.runnable;
      const stopRequested = await batch.flush();
      if (batch.runnable > before) await this.bus.publish({ type: 'tasks.available', executionId });
      if (stopRequested) stop.abort(new Error('execution stopped'));
    };
    const run: PlanRun = {
      execution,
      owner,
      signal: combined,
      add: async (task) => {
        batch.add(task);
        if (batch.full) await flush();
      },
      flush,
      planSpec: (spec) => this.planSpec(run, spec),
      setMessage: (message) => this.executions.setMessage(executionId, message),
    };
    const planning = this.owners.planning(owner);
    const started = Date.now();
    try {
      if ('plan' in planning) await planning.plan(run);
      else await this.planSpec(run, await planning.spec());
    } catch (error) {
      if (!(stop.signal.aborted && !signal.aborted)) throw error; // a stop request is not a failure
    }
    await flush();
    this.logger.log(
      {
        executionId,
        owner: await this.metrics.ownerLabel(owner),
        tasks: batch.inserted,
        runnable: batch.runnable,
        ms: Date.now() - started,
      },
      'Planned',
    );
  }

  /** Plans one source → destinations spec into a run. */
  private async planSpec(run: PlanRun, spec: ReplicationSpec): Promise<void> {
    const { source, destinations } = await this.clientsFor(spec);
    const ctx: SpecPlan = {
      run,
      label: await this.metrics.ownerLabel(run.owner),
      spec,
      deletions: spec.deletion
        ? new DeletionPlanner(
            this.ledger,
            run.owner,
            spec.sourceRegistryId,
            destinations,
            this.config.deletionGuardShare,
            run.signal,
          )
        : undefined,
    };
    const walker = new SourceWalker(source, spec.filters, run.execution.scope, run.signal);
    try {
      await compareSource(
        {
          source,
          destinations,
          walker,
          concurrency: this.config.planningConcurrency,
          signal: run.signal,
          referrers: spec.referrers,
          latest: { sourceRegistryId: spec.sourceRegistryId, times: this.tagTimes },
          variants: this.variantsOf(spec),
        },
        {
          page: async (comparisons) => {
            for (const c of comparisons) for (const task of copyTasks(c, spec)) await run.add(task);
          },
          attached: async (comparisons) => {
            for (const c of comparisons)
              for (const task of attachedTasks(c, spec)) await run.add(task);
          },
          repository: async ({ repository, listed, present, absent, unselected }) => {
            if (!ctx.deletions) return;
            if (repository.listsEverything)
              await ctx.deletions.repositoryListed(repository.name, listed, unselected);
            else await ctx.deletions.tagsChecked(repository.name, present, absent, unselected);
          },
        },
      );
      if (ctx.deletions) await this.planDeletions(ctx, ctx.deletions, walker);
    } catch (error) {
      if (!(error instanceof SourceUnreadableError && spec.deletion) || run.signal.aborted)
        throw error;
      for (const d of destinations) {
        const destination = await this.metrics.registryName(d.registryId);
        this.metrics.guardTrips.inc({
          policy: ctx.label,
          destination,
          reason: 'source_unreadable',
        });
      }
      throw new PlanningError(
        `${error.message}. The deletion guard held every deletion: nothing was deleted`,
      );
    }
  }

  /** How a comparison recognises the variant indexes regrelay wrote (see recogniseVariants). */
  variantsOf(spec: ReplicationSpec): SourceComparisonContext['variants'] {
    const choice = spec.filters.variants ?? 'all';
    if (choice === 'all') return undefined;
    return { choice, written: (d, r, t) => this.ledger.lookup(d, r, t) };
  }

  private async planDeletions(
    ctx: SpecPlan,
    deletions: DeletionPlanner,
    walker: SourceWalker,
  ): Promise<void> {
    if (walker.complete) await deletions.walkCompleted(walker.repositories);
    const { tasks, guarded } = await deletions.plan(walker.complete);
    for (const task of tasks) await ctx.run.add(task);
    if (guarded.length) await this.reportGuard(ctx, guarded);
  }

  /** Says on the execution, in the log and in metrics why deletions were held. */
  private async reportGuard(ctx: SpecPlan, guarded: GuardDecision[]): Promise<void> {
    const executionId = ctx.run.execution.id;
    const names = await this.registries.getMany(guarded.map((g) => g.destinationRegistryId));
    const parts = guarded.map((g) => {
      const name = names.get(g.destinationRegistryId)?.name ?? g.destinationRegistryId;
      this.metrics.guardTrips.inc({ policy: ctx.label, destination: name, reason: g.reason });
      return g.reason === 'source_empty'
        ? `${name}: the source listed nothing while ${g.replicated} tags are replicated there`
        : `${name}: ${g.deletions} of ${g.replicated} replicated tags (more than ${Math.round(this.config.deletionGuardShare * 100)}%)`;
    });
    const message =
      `Deletion guard held ${guarded.reduce((n, g) => n + g.deletions, 0)} deletion(s); nothing was deleted there. ` +
      `${parts.join('; ')}. If this is intended, confirm with POST /api/v1/executions/${executionId}/confirm-deletions.`;
    this.logger.warn({ executionId, owner: ctx.label, guarded }, message);
    await ctx.run.setMessage(message);
  }
}

/** The copy tasks one comparison calls for (none when the source no longer has the tag). */
export function copyTasks(
  c: TagComparison,
  spec: Pick<ReplicationSpec, 'sourceRegistryId' | 'override'>,
): PlannedTask[] {
  const descriptor = c.source.kind === 'present' ? c.source.descriptor : undefined;
  return c.destinations.flatMap((d): PlannedTask[] => {
    const { destination, repository, state } = d;
    const decision = decideCopy(c.source, state, spec.override);
    if (decision.action === 'none') return [];
    const task = {
      operation: 'copy' as const,
      sourceRegistryId: spec.sourceRegistryId,
      sourceRepository: c.repository,
      destinationRegistryId: destination.registryId,
      destinationRepository: repository,
      tag: c.tag,
      digest: descriptor?.digest ?? 'unknown',
      mediaType: descriptor?.mediaType ?? null,
    };
    if (decision.action === 'fail') return [{ ...task, status: 'failed', reason: decision.reason }];
    if (decision.action === 'skip')
      return [
        {
          ...task,
          status: 'skipped',
          reason: decision.reason,
          ...(decision.destination === 'same' ? { inPlace: true } : {}),
        },
      ];
    // Absent, different with override, or unreadable (the task will report why).
    return [
      {
        ...task,
        status: 'pending',
        reason: null,
        ...(d.emptyRepository ? { destinationEmpty: true } : {}),
      },
    ];
  });
}

/**
 * The copies an attached comparison calls for: the subject by digest (it is in place
 * already) to each destination lacking some of what is attached to it, which brings
 * it all (see AttachedCopy).
 */
export function attachedTasks(
  c: AttachedComparison,
  spec: Pick<ReplicationSpec, 'sourceRegistryId'>,
): PlannedTask[] {
  return c.destinations.flatMap(({ destination, repository, state }): PlannedTask[] => {
    const decision = decideAttached(state);
    if (decision.action === 'none') return [];
    return [
      {
        operation: 'copy',
        sourceRegistryId: spec.sourceRegistryId,
        sourceRepository: c.repository,
        destinationRegistryId: destination.registryId,
        destinationRepository: repository,
        tag: null,
        digest: c.subject.digest,
        mediaType: c.subject.mediaType,
        status: 'pending',
        reason: attachedReason(c, decision.missing),
      },
    ];
  });
}

/** Why an attached copy was planned, in words: the subject's tags and what it lacks. */
export function attachedReason(c: AttachedComparison, missing: readonly string[]): string {
  const shown = missing.slice(0, 3).join(', ');
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : '';
  return `attached to ${c.tags.length ? c.tags.join(', ') : c.subject.digest} and missing here: ${shown}${more}`;
}
