import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { forEachConcurrent, mapConcurrent } from '../../common/async-pool.js';
import { describeError } from '../../common/describe-error.js';
import { AppConfig } from '../../config/app-config.js';
import { NotFoundError, type RegistryClient } from '../../oci/index.js';
import { destinationRepository } from '../../policies/destination-naming.js';
import { NameFilter } from '../../policies/name-filter.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import { RegistriesService } from '../../registries/registries.service.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { EventBus } from '../event-bus.js';
import type { ExecutionScope } from '../executions/execution.entity.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { TaskBatch, type PlannedTask } from './task-batch.js';

/** Repositories listed at once; their tags share the planning concurrency. */
const PARALLEL_REPOSITORIES = 4;

export class PlanningError extends Error {
  override name = 'PlanningError';
}

interface Destination {
  registryId: string;
  namespace: string | null;
  client: RegistryClient;
}

interface PlanContext {
  executionId: string;
  policy: PolicyEntity;
  source: RegistryClient;
  destinations: Destination[];
  tags: NameFilter;
  batch: TaskBatch;
  signal: AbortSignal;
  stop: AbortController;
}

/**
 * Works out what each destination lacks. Streams the source (catalog or named
 * repositories, then tags, page by page), resolves each tag to a digest, compares
 * with every destination, and writes a task per (artifact, destination): skipped when
 * the destination already has the digest (or holds another one and override is off),
 * pending otherwise. Tasks are written in batches while listing goes on, so workers
 * start copying before planning ends.
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
    private readonly bus: EventBus,
  ) {}

  async plan(executionId: string, signal: AbortSignal): Promise<void> {
    const execution = await this.executions.get(executionId);
    const policy = await this.policies.get(execution.policyId);
    const registries = await this.registries.getMany([
      policy.sourceRegistryId,
      ...policy.destinations.map((d) => d.registryId),
    ]);
    const sourceRegistry = registries.get(policy.sourceRegistryId);
    if (!sourceRegistry)
      throw new PlanningError(`the source registry ${policy.sourceRegistryId} no longer exists`);
    const stop = new AbortController();
    const ctx: PlanContext = {
      executionId,
      policy,
      source: this.clients.forRegistry(sourceRegistry),
      destinations: [...policy.destinations]
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
        }),
      tags: NameFilter.compile(policy.tags, policy.excludeTags),
      batch: new TaskBatch(this.dataSource, executionId, policy.id),
      signal: AbortSignal.any([signal, stop.signal]),
      stop,
    };
    const repositories = NameFilter.compile(policy.repositories, policy.excludeRepositories);
    const started = Date.now();
    await forEachConcurrent(
      this.repositories(ctx, repositories, execution.scope),
      PARALLEL_REPOSITORIES,
      (repository) =>
        this.planRepository(ctx, repository, execution.scope?.repositories[repository]),
      ctx.signal,
    ).catch((error: unknown) => {
      if (stop.signal.aborted && !signal.aborted) return; // asked to stop: not a failure
      throw error;
    });
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

  /** Source repositories matching the filters, streamed page by page. */
  private async *repositories(
    ctx: PlanContext,
    filter: NameFilter,
    scope: ExecutionScope | null,
  ): AsyncGenerator<string> {
    if (scope) {
      for (const repository of Object.keys(scope.repositories))
        if (filter.matches(repository)) yield repository;
      return;
    }
    const named = filter.literalNames();
    if (named) {
      yield* named; // no need for the catalog, which not every registry offers
      return;
    }
    try {
      for await (const page of ctx.source.catalogPages({ signal: ctx.signal })) {
        for (const repository of page) if (filter.matches(repository)) yield repository;
      }
    } catch (error) {
      throw new PlanningError(
        `could not list repositories of the source (${describeError(error)}). Registries without a catalog ` +
          'need repository filters that name repositories exactly (no wildcards).',
      );
    }
  }

  private async planRepository(
    ctx: PlanContext,
    repository: string,
    scopedTags: string[] | undefined,
  ): Promise<void> {
    const tags = scopedTags?.length
      ? this.scopedTags(scopedTags)
      : this.listedTags(ctx, repository);
    for await (const page of tags) {
      const wanted = page.filter((tag) => ctx.tags.matches(tag));
      await mapConcurrent(wanted, this.config.planningConcurrency, (tag) =>
        this.planTag(ctx, repository, tag),
      );
      if (ctx.batch.full) await this.flush(ctx);
    }
  }

  private async *scopedTags(tags: string[]): AsyncGenerator<string[]> {
    yield tags;
  }

  private async *listedTags(ctx: PlanContext, repository: string): AsyncGenerator<string[]> {
    try {
      yield* ctx.source.tagPages(repository, { signal: ctx.signal });
    } catch (error) {
      if (error instanceof NotFoundError) return; // named by a filter but not there (yet)
      throw error;
    }
  }

  private async planTag(ctx: PlanContext, repository: string, tag: string): Promise<void> {
    let source;
    try {
      source = await ctx.source.headManifest(repository, tag, { signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      for (const d of ctx.destinations) {
        ctx.batch.add(
          this.task(
            ctx,
            d,
            repository,
            tag,
            'unknown',
            null,
            'failed',
            `could not read the source tag: ${describeError(error)}`,
          ),
        );
      }
      return;
    }
    if (!source) return; // deleted since it was listed
    await Promise.all(
      ctx.destinations.map(async (d) => {
        const target = destinationRepository(d.namespace, repository);
        let present;
        try {
          present = await d.client.headManifest(target, tag, { signal: ctx.signal });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          // The destination may be down: plan the copy and let the task report it.
          present = undefined;
        }
        if (present?.digest === source.digest) {
          ctx.batch.add(
            this.task(
              ctx,
              d,
              repository,
              tag,
              source.digest,
              source.mediaType,
              'skipped',
              'already present',
            ),
          );
        } else if (present && !ctx.policy.override) {
          ctx.batch.add(
            this.task(
              ctx,
              d,
              repository,
              tag,
              source.digest,
              source.mediaType,
              'skipped',
              `the destination tag points at ${present.digest}; override is off`,
            ),
          );
        } else {
          ctx.batch.add(
            this.task(ctx, d, repository, tag, source.digest, source.mediaType, 'pending', null),
          );
        }
      }),
    );
  }

  private task(
    ctx: PlanContext,
    d: Destination,
    repository: string,
    tag: string,
    digest: string,
    mediaType: string | null,
    status: PlannedTask['status'],
    reason: string | null,
  ): PlannedTask {
    return {
      operation: 'copy',
      destinationRegistryId: d.registryId,
      sourceRepository: repository,
      destinationRepository: destinationRepository(d.namespace, repository),
      tag,
      digest,
      mediaType,
      status,
      reason,
    };
  }

  private async flush(ctx: PlanContext): Promise<void> {
    const before = ctx.batch.runnable;
    const stopRequested = await ctx.batch.flush();
    if (ctx.batch.runnable > before)
      await this.bus.publish({ type: 'tasks.available', executionId: ctx.executionId });
    if (stopRequested) ctx.stop.abort(new Error('execution stopped'));
  }
}
