import { Injectable, Logger } from '@nestjs/common';
import { logOutage, whileDatabaseDown } from '../../database/outage.js';
import { NotFoundError, TokenBucket, attachedKind, type RegistryClient } from '../../oci/index.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { ArtifactCopier, type CopyResult } from '../copy/artifact-copier.js';
import { AttachedDeleter } from '../copy/attached-deleter.js';
import { TagDeleter } from '../copy/tag-deleter.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { ownerKey } from '../owners/execution-owners.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { DeliveryHooks } from './delivery-hooks.js';
import { ExecutionReadCache } from './execution-read-cache.js';
import { SourceTagListings } from './source-tag-listings.js';
import { TaskExecutor, type TaskOutcome, type TaskProgress } from './task-executor.js';
import type { ClaimedTask } from './task-queue.js';

/**
 * Runs tasks. Copies: re-check the destination (an earlier attempt, or someone else,
 * may have done the work since planning), copy the task's digest — exactly that one,
 * with its children and referrers; a tag is never re-read — and record the write in
 * the ledger. Deletes: see TagDeleter; the ledger forgets what is no longer ours.
 *
 * Once the destination holds the result, the bookkeeping after it (ledger, lag, the
 * owner's delivery hooks) waits out a database outage rather than fail an attempt
 * whose work is done: retried, the task would find its artifact in place and report
 * "skipped" for a copy it made.
 */
@Injectable()
export class ReplicationTaskExecutor extends TaskExecutor {
  private readonly logger = new Logger(ReplicationTaskExecutor.name);
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
    private readonly attachedDeleter: AttachedDeleter,
    private readonly listings: SourceTagListings,
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
      const variant = current && (await this.variantWritten(task, current.digest));
      if (current?.digest === task.digest || variant) {
        await this.delivered(task, signal, variant || undefined);
        return {
          status: 'skipped',
          reason: variant
            ? `already present at the destination (its ${task.settings.variants} entries, ${variant})`
            : 'already present at the destination',
          bytesMoved: 0,
        };
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
        // A retry asks about every blob: the attempt before it may have sent some.
        destinationEmpty: task.destinationEmpty && task.attempts === 1,
        digest: task.digest,
        tag: task.tag,
        signal,
        throttle: this.bucketFor(task),
        onProgress: progress,
        referrers: task.settings.referrers ?? 'all',
        variants: task.settings.variants ?? 'all',
        mayReplace: (tag, current) => this.mayReplace(task, tag, current),
        sourceTags: this.listings.forExecution(
          task.executionId,
          task.sourceRegistryId,
          source,
          signal,
        ),
      })
      .catch((error: unknown) => {
        throw pinnedDigestGone(error, source, task) ?? error;
      });
    const referrersCopied = await this.afterDelivery(task, signal, () =>
      this.recordAttached(task, result),
    );
    await this.delivered(task, signal, result.written?.digest);
    return {
      status: 'succeeded',
      bytesMoved: result.bytesMoved,
      bytesTotal: result.bytesTotal,
      referrersCopied,
      ...(result.written ? { writtenDigest: result.written.digest } : {}),
      reason: result.attachedHeld.length
        ? `left ${result.attachedHeld.join(', ')} alone: the destination holds another digest that regrelay did not write (override is off)`
        : undefined,
    };
  }

  /**
   * With a variants choice, the digest at the destination tag is in step when it is
   * the index regrelay narrowed from this very source digest (the ledger says so).
   */
  private async variantWritten(task: ClaimedTask, current: string): Promise<string | false> {
    if (!task.tag || !task.settings.variants || task.settings.variants === 'all') return false;
    if (current === task.digest) return false;
    const row = await this.ledger.lookup(
      task.destinationRegistryId,
      task.destinationRepository,
      task.tag,
    );
    return row?.digest === current && row.sourceDigest === task.digest ? current : false;
  }

  /** A cosign tag at the destination may be replaced when regrelay wrote what is there, or with override. */
  private async mayReplace(task: ClaimedTask, tag: string, current: string): Promise<boolean> {
    if (task.settings.override) return true;
    const written = await this.ledger.lookup(
      task.destinationRegistryId,
      task.destinationRepository,
      tag,
    );
    return written?.digest === current;
  }

  /** Records what the copy attached (so it goes with its subject) and counts it; returns the count. */
  private async recordAttached(task: ClaimedTask, result: CopyResult): Promise<number> {
    for (const write of result.attached) {
      await this.ledger.recordWrite({
        destinationRegistryId: task.destinationRegistryId,
        repository: task.destinationRepository,
        tag: write.tag ?? write.digest,
        digest: write.digest,
        originRegistryId: task.sourceRegistryId,
        originRepository: task.sourceRepository,
        owner: task.owner,
        executionId: task.executionId,
        subjectDigest: write.subject,
      });
    }
    const kinds = result.attached.filter((w) => !w.index).map((w) => attachedKind(w.artifactType));
    await this.metrics.attachedCopied(task.owner, task.destinationRegistryId, kinds);
    return kinds.length;
  }

  /** The artifact is at the destination: record it, measure lag, run what chains on it. */
  /** `written`: the digest at the destination when it is not the task's (a variant index). */
  private async delivered(task: ClaimedTask, signal: AbortSignal, written?: string): Promise<void> {
    await this.afterDelivery(task, signal, () => this.record(task, written));
    await this.afterDelivery(task, signal, () => this.observeLag(task));
    await this.afterDelivery(task, signal, () => this.hooks.delivered(task, 'present'));
  }

  /** One step of the bookkeeping after a delivery, waiting for the database if it is away. */
  private afterDelivery<T>(
    task: ClaimedTask,
    signal: AbortSignal,
    step: () => Promise<T>,
  ): Promise<T> {
    return whileDatabaseDown(step, {
      signal,
      onOutage: logOutage(this.logger, 'a delivered task', { taskId: task.id }),
    });
  }

  private async deleteTag(
    task: ClaimedTask,
    source: RegistryClient,
    destination: RegistryClient,
    signal: AbortSignal,
  ): Promise<TaskOutcome> {
    const attachedJob = {
      owner: task.owner,
      destination,
      destinationRegistryId: task.destinationRegistryId,
      destinationRepository: task.destinationRepository,
      signal,
    };
    // Read before the subject goes: an index's children carry attached artifacts too.
    const subjects = await this.attachedDeleter.subjectsOf(attachedJob, task.digest);
    const at = { registryId: task.destinationRegistryId, repository: task.destinationRepository };
    const from = { registryId: task.sourceRegistryId, repository: task.sourceRepository };
    const outcome = await this.deleter.delete({
      source,
      sourceRepository: task.sourceRepository,
      destination,
      destinationRepository: task.destinationRepository,
      tag: task.tag!,
      digest: task.digest,
      outOfSelection: task.outOfSelection,
      syncedTag: (tag) => this.ledger.synced(task.owner, at, from, tag, task.digest),
      signal,
    });
    if (outcome.result === 'left' && outcome.keepLedger)
      return { status: 'skipped', reason: outcome.reason, bytesMoved: 0 };
    if (outcome.result === 'left') {
      // Changed at the destination: not ours there any more (a pair keeps its last synced digest).
      await this.afterDelivery(task, signal, () =>
        this.ledger.forget(task.owner, at.registryId, at.repository, task.tag!, task.digest),
      );
    } else {
      await this.afterDelivery(task, signal, () =>
        this.ledger.forgetSynced(task.owner, at, from, task.tag!, task.digest),
      );
      await this.afterDelivery(task, signal, () => this.hooks.delivered(task, 'removed'));
    }
    const attachedGone =
      outcome.result !== 'left' && subjects.length && (await this.subjectGone(task, outcome))
        ? await this.attachedDeleter.deleteFor(attachedJob, subjects)
        : 0;
    const also = attachedGone ? `; ${attachedGone} attached artifact(s) went with it` : '';
    return outcome.result === 'deleted'
      ? {
          status: 'succeeded',
          reason:
            (outcome.how === 'manifest'
              ? 'deleted the manifest (no tag still wanted pointed at it)'
              : '') + also || undefined,
          bytesMoved: 0,
        }
      : { status: 'skipped', reason: outcome.reason + also, bytesMoved: 0 };
  }

  /**
   * Whether the deleted tag's manifest has left regrelay's replica: deleted by digest,
   * or no other tag regrelay wrote in that repository points at it.
   */
  private async subjectGone(
    task: ClaimedTask,
    outcome: { result: 'deleted'; how: 'tag' | 'manifest' } | { result: 'gone' },
  ): Promise<boolean> {
    if (outcome.result === 'deleted' && outcome.how === 'manifest') return true;
    const others = await this.ledger.otherTagsWithDigest(
      task.destinationRegistryId,
      task.destinationRepository,
      task.digest,
      task.tag!,
    );
    return others.length === 0;
  }

  /** For event-driven work: how long from the registry's event to the artifact being here. */
  private async observeLag(task: ClaimedTask): Promise<void> {
    if (!task.tag) return;
    const eventAt = await this.cache.eventTime(task.executionId, task.sourceRepository, task.tag);
    if (eventAt) await this.metrics.replicated(task.owner, task.destinationRegistryId, eventAt);
  }

  private async record(task: ClaimedTask, written?: string): Promise<void> {
    if (!task.tag) return;
    await this.ledger.recordWrite({
      destinationRegistryId: task.destinationRegistryId,
      repository: task.destinationRepository,
      tag: task.tag,
      digest: written ?? task.digest,
      sourceDigest: written ? task.digest : null,
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
