import { Injectable } from '@nestjs/common';
import { NotFoundError, TokenBucket, type RegistryClient } from '../../oci/index.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { ArtifactCopier } from '../copy/artifact-copier.js';
import { TagDeleter } from '../copy/tag-deleter.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { ownerKey } from '../owners/execution-owners.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { DeliveryHooks } from './delivery-hooks.js';
import { ExecutionReadCache } from './execution-read-cache.js';
import { TaskExecutor, type TaskOutcome, type TaskProgress } from './task-executor.js';
import type { ClaimedTask } from './task-queue.js';

/**
 * Runs tasks. Copies: re-check the destination (an earlier attempt, or someone else,
 * may have done the work since planning), copy the task's digest — exactly that one,
 * with its children and referrers; a tag is never re-read — and record the write in
 * the ledger. Deletes: see TagDeleter; the ledger forgets what is no longer ours.
 */
@Injectable()
export class ReplicationTaskExecutor extends TaskExecutor {
  /** One bandwidth budget per owner with a limit, shared by all its transfers here. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly cache: ExecutionReadCache,
    private readonly clients: RegistryClients,
    private readonly copier: ArtifactCopier,
    private readonly ledger: LedgerService,
    private readonly deleter: TagDeleter,
    private readonly metrics: ReplicationMetrics,
    private readonly hooks: DeliveryHooks,
  ) {
    super();
  }

  async execute(
    task: ClaimedTask,
    signal: AbortSignal,
    progress: TaskProgress,
  ): Promise<TaskOutcome> {
    const [source, destination] = await Promise.all([
      this.clientFor(task.executionId, task.sourceRegistryId),
      this.clientFor(task.executionId, task.destinationRegistryId),
    ]);
    if (task.operation === 'delete') return this.deleteTag(task, source, destination, signal);
    if (task.tag) {
      const current = await destination.headManifest(task.destinationRepository, task.tag, {
        signal,
      });
      if (current?.digest === task.digest) {
        await this.delivered(task);
        return { status: 'skipped', reason: 'already present at the destination', bytesMoved: 0 };
      }
      const expected = task.destinationExpected;
      if (expected !== null && (current?.digest ?? '') !== expected) {
        return {
          status: 'skipped',
          reason: `the destination tag changed since it was compared (${current ? `now ${current.digest}` : 'now absent'}); left for the next comparison`,
          bytesMoved: 0,
        };
      }
      if (current && expected === null && !task.settings.override) {
        return {
          status: 'skipped',
          reason: `the destination tag points at ${current.digest}, not ${task.digest}; override is off`,
          bytesMoved: 0,
        };
      }
    }
    const result = await this.copier
      .copy({
        sourceRegistryId: task.sourceRegistryId,
        destinations: task.fanOut,
        source,
        sourceRepository: task.sourceRepository,
        destination,
        destinationRegistryId: task.destinationRegistryId,
        destinationRepository: task.destinationRepository,
        digest: task.digest,
        tag: task.tag,
        signal,
        throttle: this.bucketFor(task),
        onProgress: progress,
      })
      .catch((error: unknown) => {
        throw pinnedDigestGone(error, source, task) ?? error;
      });
    await this.delivered(task);
    return { status: 'succeeded', bytesMoved: result.bytesMoved, bytesTotal: result.bytesTotal };
  }

  /** The artifact is at the destination: record it, measure lag, run what chains on it. */
  private async delivered(task: ClaimedTask): Promise<void> {
    await this.record(task);
    await this.observeLag(task);
    await this.hooks.delivered(task, 'present');
  }

  private async deleteTag(
    task: ClaimedTask,
    source: RegistryClient,
    destination: RegistryClient,
    signal: AbortSignal,
  ): Promise<TaskOutcome> {
    const at = { registryId: task.destinationRegistryId, repository: task.destinationRepository };
    const from = { registryId: task.sourceRegistryId, repository: task.sourceRepository };
    const outcome = await this.deleter.delete({
      source,
      sourceRepository: task.sourceRepository,
      destination,
      destinationRepository: task.destinationRepository,
      tag: task.tag!,
      digest: task.digest,
      syncedTag: (tag) => this.ledger.synced(task.owner, at, from, tag, task.digest),
      signal,
    });
    if (outcome.result === 'left' && outcome.keepLedger)
      return { status: 'skipped', reason: outcome.reason, bytesMoved: 0 };
    if (outcome.result === 'left') {
      // Changed at the destination: not ours there any more (a pair keeps its last synced digest).
      await this.ledger.forget(task.owner, at.registryId, at.repository, task.tag!);
    } else {
      await this.ledger.forgetSynced(task.owner, at, from, task.tag!);
      await this.hooks.delivered(task, 'removed');
    }
    return outcome.result === 'deleted'
      ? {
          status: 'succeeded',
          reason:
            outcome.how === 'manifest'
              ? 'deleted the manifest (no tag still wanted pointed at it)'
              : undefined,
          bytesMoved: 0,
        }
      : { status: 'skipped', reason: outcome.reason, bytesMoved: 0 };
  }

  /** For event-driven work: how long from the registry's event to the artifact being here. */
  private async observeLag(task: ClaimedTask): Promise<void> {
    if (!task.tag) return;
    const eventAt = await this.cache.eventTime(task.executionId, task.sourceRepository, task.tag);
    if (eventAt) await this.metrics.replicated(task.owner, task.destinationRegistryId, eventAt);
  }

  private async record(task: ClaimedTask): Promise<void> {
    if (!task.tag) return;
    await this.ledger.recordWrite({
      destinationRegistryId: task.destinationRegistryId,
      repository: task.destinationRepository,
      tag: task.tag,
      digest: task.digest,
      originRegistryId: task.sourceRegistryId,
      originRepository: task.sourceRepository,
      owner: task.owner,
      executionId: task.executionId,
    });
  }

  private async clientFor(executionId: string, registryId: string): Promise<RegistryClient> {
    return this.clients.forRegistry(await this.cache.registry(executionId, registryId));
  }

  private bucketFor(task: ClaimedTask): TokenBucket | undefined {
    const key = ownerKey(task.owner);
    const limit = task.settings.bandwidthLimit;
    if (!limit) {
      this.buckets.delete(key);
      return undefined;
    }
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.bytesPerSecond !== limit) {
      bucket = new TokenBucket(limit);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}

/**
 * The task's own digest is gone from the source: say so plainly (registry,
 * repository, digest, and that the task never falls back to the tag). Not retried.
 */
function pinnedDigestGone(
  error: unknown,
  source: RegistryClient,
  task: ClaimedTask,
): NotFoundError | undefined {
  if (
    !(error instanceof NotFoundError) ||
    error.reference !== task.digest ||
    error.repository !== task.sourceRepository
  )
    return undefined;
  return new NotFoundError(
    'the source no longer has this digest; the task copies exactly this digest and never re-reads a tag',
    {
      registry: source.name,
      repository: task.sourceRepository,
      reference: task.digest,
      status: error.status,
      code: error.code,
      cause: error,
    },
  );
}
