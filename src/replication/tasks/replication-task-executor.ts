import { Injectable } from '@nestjs/common';
import { TokenBucket, type RegistryClient } from '../../oci/index.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { ArtifactCopier } from '../copy/artifact-copier.js';
import { TagDeleter } from '../copy/tag-deleter.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { ExecutionSettings } from './execution-settings.js';
import { TaskExecutor, type TaskOutcome, type TaskProgress } from './task-executor.js';
import type { TaskEntity } from './task.entity.js';

/**
 * Runs tasks. Copies: re-check the destination (an earlier attempt, or someone else,
 * may have done the work since planning), copy the artifact graph, record the write
 * in the ledger. Deletes: see TagDeleter; the ledger forgets what is no longer ours.
 */
@Injectable()
export class ReplicationTaskExecutor extends TaskExecutor {
  /** One bandwidth budget per policy with a limit, shared by all its transfers here. */
  private readonly policyBuckets = new Map<string, TokenBucket>();

  constructor(
    private readonly settings: ExecutionSettings,
    private readonly clients: RegistryClients,
    private readonly copier: ArtifactCopier,
    private readonly ledger: LedgerService,
    private readonly deleter: TagDeleter,
    private readonly metrics: ReplicationMetrics,
  ) {
    super();
  }

  async execute(
    task: TaskEntity,
    signal: AbortSignal,
    progress: TaskProgress,
  ): Promise<TaskOutcome> {
    const policy = await this.settings.policy(task.executionId, task.policyId);
    const [source, destination] = await Promise.all([
      this.clientFor(task.executionId, policy.sourceRegistryId),
      this.clientFor(task.executionId, task.destinationRegistryId),
    ]);
    if (task.operation === 'delete') return this.deleteTag(task, source, destination, signal);
    if (task.tag) {
      const current = await destination.headManifest(task.destinationRepository, task.tag, {
        signal,
      });
      if (current?.digest === task.digest) {
        await this.record(task);
        await this.observeLag(task);
        return { status: 'skipped', reason: 'already present at the destination', bytesMoved: 0 };
      }
      if (current && !policy.override) {
        return {
          status: 'skipped',
          reason: `the destination tag points at ${current.digest}, not ${task.digest}; override is off`,
          bytesMoved: 0,
        };
      }
    }
    const result = await this.copier.copy({
      sourceRegistryId: policy.sourceRegistryId,
      destinations: policy.destinations.length,
      source,
      sourceRepository: task.sourceRepository,
      destination,
      destinationRegistryId: task.destinationRegistryId,
      destinationRepository: task.destinationRepository,
      digest: task.digest,
      tag: task.tag,
      signal,
      throttle: this.bucketFor(policy),
      onProgress: progress,
    });
    await this.record(task);
    await this.observeLag(task);
    return { status: 'succeeded', bytesMoved: result.bytesMoved, bytesTotal: result.bytesTotal };
  }

  private async deleteTag(
    task: TaskEntity,
    source: RegistryClient,
    destination: RegistryClient,
    signal: AbortSignal,
  ): Promise<TaskOutcome> {
    const outcome = await this.deleter.delete({
      source,
      sourceRepository: task.sourceRepository,
      destination,
      destinationRepository: task.destinationRepository,
      tag: task.tag!,
      digest: task.digest,
      wroteTag: (tag) =>
        this.ledger.wrote(
          task.policyId,
          task.destinationRegistryId,
          task.destinationRepository,
          tag,
          task.digest,
        ),
      signal,
    });
    if (outcome.result === 'left' && outcome.keepLedger)
      return { status: 'skipped', reason: outcome.reason, bytesMoved: 0 };
    await this.ledger.forget(
      task.policyId,
      task.destinationRegistryId,
      task.destinationRepository,
      task.tag!,
    );
    return outcome.result === 'deleted'
      ? {
          status: 'succeeded',
          reason:
            outcome.how === 'manifest'
              ? 'deleted the manifest (no other tag pointed at it)'
              : undefined,
          bytesMoved: 0,
        }
      : { status: 'skipped', reason: outcome.reason, bytesMoved: 0 };
  }

  /** For event-driven work: how long from the registry's event to the artifact being here. */
  private async observeLag(task: TaskEntity): Promise<void> {
    if (!task.tag) return;
    const eventAt = await this.settings.eventTime(
      task.executionId,
      task.sourceRepository,
      task.tag,
    );
    if (eventAt) await this.metrics.replicated(task.policyId, task.destinationRegistryId, eventAt);
  }

  private async record(task: TaskEntity): Promise<void> {
    if (!task.tag) return;
    await this.ledger.recordWrite({
      policyId: task.policyId,
      destinationRegistryId: task.destinationRegistryId,
      repository: task.destinationRepository,
      tag: task.tag,
      digest: task.digest,
      sourceRepository: task.sourceRepository,
      sourceDigest: task.digest,
      executionId: task.executionId,
    });
  }

  private async clientFor(executionId: string, registryId: string): Promise<RegistryClient> {
    return this.clients.forRegistry(await this.settings.registry(executionId, registryId));
  }

  private bucketFor(policy: PolicyEntity): TokenBucket | undefined {
    if (!policy.bandwidthLimit) {
      this.policyBuckets.delete(policy.id);
      return undefined;
    }
    let bucket = this.policyBuckets.get(policy.id);
    if (!bucket || bucket.bytesPerSecond !== policy.bandwidthLimit) {
      bucket = new TokenBucket(policy.bandwidthLimit);
      this.policyBuckets.set(policy.id, bucket);
    }
    return bucket;
  }
}
