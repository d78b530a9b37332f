import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { forEachConcurrent, mapConcurrent } from '../../common/async-pool.js';
import { AppConfig } from '../../config/app-config.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import { RegistriesService } from '../../registries/registries.service.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { EventBus } from '../event-bus.js';
import type { ExecutionEntity } from '../executions/execution.entity.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { DeletionPlanner, type GuardDecision } from './deletion-planner.js';
import { listDestinations } from './destination-tags.js';
import { SourceUnreadableError, SourceWalker, type SourceRepository } from './source-walker.js';
import { compareTag, type PlanDestination, type TagComparison } from './tag-comparator.js';
import { TaskBatch, type PlannedTask } from './task-batch.js';

/** Repositories listed at once; their tags share the planning concurrency. */
const PARALLEL_REPOSITORIES = 4;

export class PlanningError extends Error {
  override name = 'PlanningError';
}

interface PlanContext {
  execution: ExecutionEntity;
  policy: PolicyEntity;
  walker: SourceWalker;
  source: PolicyClients['source'];
  destinations: PlanDestination[];
  batch: TaskBatch;
  deletions?: DeletionPlanner;
  signal: AbortSignal;
  stop: AbortController;
}

interface PolicyClients {
  source: PlanDestination['client'];
  destinations: PlanDestination[];
}

/**
 * Works out what each destination lacks, and (with `deletion` on) what it holds that
 * the source no longer has. Streams the source page by page, compares each tag with
 * every destination, and writes a task per (artifact, destination): skipped when the
 * destination already has the digest (or holds another one and override is off),
 * pending otherwise. Tasks are written in batches while listing goes on, so workers
 * start copying before planning ends. Deletions are decided at the end, from the
 * ledger, under the deletion guard.
 */
@Injectable()
export class Planner {
  private readonly logger = new Logger(Planner.name);

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly executions: ExecutionsService,
    private readonly policies: PoliciesService,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly ledger: LedgerService,
    private readonly metrics: ReplicationMetrics,
    private readonly bus: EventBus,
  ) {}

  /** Clients for a policy's source and destinations (destinations that no longer exist are left out). */
  async clientsFor(policy: PolicyEntity): Promise<PolicyClients> {
    const registries = await this.registries.getMany([
      policy.sourceRegistryId,
      ...policy.destinations.map((d) => d.registryId),
    ]);
    const source = registries.get(policy.sourceRegistryId);
    if (!source)
      throw new PlanningError(`the source registry ${policy.sourceRegistryId} no longer exists`);
    const destinations = [...policy.destinations]
      .sort((a, b) => a.position - b.position)
      .flatMap((d) => {
        const registry = registries.get(d.registryId);
        return registry
          ? [
              {
                registryId: d.registryId,
                namespace: d.namespace,
                client: this.clients.forRegistry(registry),
              },
            ]
          : [];
      });
    return { source: this.clients.forRegistry(source), destinations };
  }

  async plan(executionId: string, signal: AbortSignal): Promise<void> {
    const execution = await this.executions.get(executionId);
    const policy = await this.policies.get(execution.policyId);
    const { source, destinations } = await this.clientsFor(policy);
    const stop = new AbortController();
    const combined = AbortSignal.any([signal, stop.signal]);
    const ctx: PlanContext = {
      execution,
      policy,
      walker: new SourceWalker(source, policy, execution.scope, combined),
      source,
      destinations,
      batch: new TaskBatch(this.dataSource, executionId, policy.id),
      deletions: policy.deletion
        ? new DeletionPlanner(
            this.ledger,
            policy.id,
            destinations,
            this.config.deletionGuardShare,
            combined,
          )
        : undefined,
      signal: combined,
      stop,
    };
    const started = Date.now();
    try {
      await forEachConcurrent(
        ctx.walker.walk(),
        PARALLEL_REPOSITORIES,
        (repository) => this.planRepository(ctx, repository),
        ctx.signal,
      );
      if (ctx.deletions) await this.planDeletions(ctx);
    } catch (error) {
      if (stop.signal.aborted && !signal.aborted) {
        // A stop request is not a failure.
      } else if (error instanceof SourceUnreadableError && policy.deletion) {
        for (const d of destinations) {
          const destination = await this.metrics.nameOf('registry', d.registryId);
          this.metrics.guardTrips.inc({
            policy: policy.name,
            destination,
            reason: 'source_unreadable',
          });
        }
        throw new PlanningError(
          `${error.message}. The deletion guard held every deletion: nothing was deleted`,
        );
      } else {
        throw error;
      }
    }
    await this.flush(ctx);
    this.logger.log(
      {
        executionId,
        policy: policy.name,
        tasks: ctx.batch.inserted,
        runnable: ctx.batch.runnable,
        ms: Date.now() - started,
      },
      'Planned',
    );
  }

  private async planRepository(ctx: PlanContext, repository: SourceRepository): Promise<void> {
    const listed = new Set<string>();
    const present: string[] = [];
    const absent: string[] = [];
    // A scoped execution names a few tags: asking about each beats listing them all.
    const listings = repository.listsEverything
      ? listDestinations(ctx.destinations, repository.name, ctx.signal)
      : undefined;
    for await (const page of repository.pages) {
      for (const tag of page) listed.add(tag);
      const wanted = page.filter((tag) => ctx.walker.tags.matches(tag));
      const compared = await mapConcurrent(wanted, this.config.planningConcurrency, (tag) =>
        compareTag(ctx.source, ctx.destinations, repository.name, tag, ctx.signal, listings),
      );
      for (const comparison of compared) {
        (comparison.source.kind === 'absent' ? absent : present).push(comparison.tag);
        for (const task of copyTasks(comparison, ctx.policy.override)) ctx.batch.add(task);
      }
      if (ctx.batch.full) await this.flush(ctx);
    }
    if (!ctx.deletions) return;
    if (repository.listsEverything) await ctx.deletions.repositoryListed(repository.name, listed);
    else await ctx.deletions.tagsChecked(repository.name, present, absent);
  }

  private async planDeletions(ctx: PlanContext): Promise<void> {
    const deletions = ctx.deletions!;
    if (ctx.walker.complete) await deletions.walkCompleted(ctx.walker.repositories);
    const { tasks, guarded } = await deletions.plan(ctx.walker.complete);
    for (const task of tasks) ctx.batch.add(task);
    if (guarded.length) await this.reportGuard(ctx, guarded);
  }

  /** Says on the execution, in the log and in metrics why deletions were held. */
  private async reportGuard(ctx: PlanContext, guarded: GuardDecision[]): Promise<void> {
    const names = await this.registries.getMany(guarded.map((g) => g.destinationRegistryId));
    const parts = guarded.map((g) => {
      const name = names.get(g.destinationRegistryId)?.name ?? g.destinationRegistryId;
      this.metrics.guardTrips.inc({ policy: ctx.policy.name, destination: name, reason: g.reason });
      return g.reason === 'source_empty'
        ? `${name}: the source listed nothing while ${g.replicated} tags are replicated there`
        : `${name}: ${g.deletions} of ${g.replicated} replicated tags (more than ${Math.round(this.config.deletionGuardShare * 100)}%)`;
    });
    const message =
      `Deletion guard held ${guarded.reduce((n, g) => n + g.deletions, 0)} deletion(s); nothing was deleted there. ` +
      `${parts.join('; ')}. If this is intended, confirm with POST /api/v1/executions/${ctx.execution.id}/confirm-deletions.`;
    this.logger.warn({ executionId: ctx.execution.id, policy: ctx.policy.name, guarded }, message);
    await this.executions.setMessage(ctx.execution.id, message);
  }

  private async flush(ctx: PlanContext): Promise<void> {
    const before = ctx.batch.runnable;
    const stopRequested = await ctx.batch.flush();
    if (ctx.batch.runnable > before)
      await this.bus.publish({ type: 'tasks.available', executionId: ctx.execution.id });
    if (stopRequested) ctx.stop.abort(new Error('execution stopped'));
  }
}

/** The copy tasks one comparison calls for (none when the source no longer has the tag). */
export function copyTasks(c: TagComparison, override: boolean): PlannedTask[] {
  const source = c.source;
  if (source.kind === 'absent') return [];
  return c.destinations.map(({ destination, repository, state }) => {
    const base = {
      operation: 'copy' as const,
      destinationRegistryId: destination.registryId,
      sourceRepository: c.repository,
      destinationRepository: repository,
      tag: c.tag,
    };
    if (source.kind === 'unreadable') {
      return {
        ...base,
        digest: 'unknown',
        mediaType: null,
        status: 'failed',
        reason: `could not read the source tag: ${source.error}`,
      };
    }
    const { digest, mediaType } = source.descriptor;
    const planned = { ...base, digest, mediaType };
    if (state.kind === 'present' && state.descriptor.digest === digest)
      return { ...planned, status: 'skipped', reason: 'already present' };
    if (state.kind === 'present' && !override) {
      return {
        ...planned,
        status: 'skipped',
        reason: `the destination tag points at ${state.descriptor.digest}; override is off`,
      };
    }
    // Absent, different with override, or unreadable (the task will report why).
    return { ...planned, status: 'pending', reason: null };
  });
}
