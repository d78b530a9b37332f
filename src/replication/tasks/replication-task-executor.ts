import { Injectable } from '@nestjs/common';
import { TokenBucket } from '../../oci/index.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import { RegistryClients } from '../../registries/registry-clients.js';
import { ArtifactCopier } from '../copy/artifact-copier.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { TaskExecutor, type TaskOutcome, type TaskProgress } from './task-executor.js';
import type { TaskEntity } from './task.entity.js';

/**
 * Runs copy tasks: re-checks the destination (an earlier attempt, or someone else,
 * may have done the work since planning), copies the artifact graph, and records the
 * write in the ledger.
 */
@Injectable()
export class ReplicationTaskExecutor extends TaskExecutor {
  /** One bandwidth budget per policy with a limit, shared by all its transfers here. */
  private readonly policyBuckets = new Map<string, TokenBucket>();

  constructor(
    private readonly policies: PoliciesService,
    private readonly clients: RegistryClients,
    private readonly copier: ArtifactCopier,
    private readonly ledger: LedgerService,
  ) {
    super();
  }

  async execute(
    task: TaskEntity,
    signal: AbortSignal,
    progress: TaskProgress,
  ): Promise<TaskOutcome> {
    if (task.operation !== 'copy')
      throw new Error(`operation ${task.operation} is not supported yet`);
    const policy = await this.policies.get(task.policyId);
    const [source, destination] = await Promise.all([
      this.clients.forId(policy.sourceRegistryId),
      this.clients.forId(task.destinationRegistryId),
    ]);
    if (task.tag) {
      const current = await destination.headManifest(task.destinationRepository, task.tag, {
        signal,
      });
      if (current?.digest === task.digest) {
        await this.record(task);
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
    return { status: 'succeeded', bytesMoved: result.bytesMoved, bytesTotal: result.bytesTotal };
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
