import { Injectable } from '@nestjs/common';
import type { AttachedKind } from '../oci/index.js';
import { MetricsService } from '../observability/metrics.service.js';
import { RegistriesService } from '../registries/registries.service.js';
import type { ExecutionOwner } from './owners/execution-owner.js';
import { ExecutionOwners, ownerKey } from './owners/execution-owners.js';

/** Drift of one (policy, destination), for the out-of-sync gauge. */
export interface DriftCount {
  policyId: string;
  destinationRegistryId: string;
  n: number;
}

const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Replication metrics. Labels carry owner and registry names (bounded by what
 * operators configure), never repositories, tags or digests. The `policy` label is
 * the owner's label: a policy's name, or `kind:name` for other owners (all one-off
 * copies share `copy:one-off`), so series stay bounded.
 */
@Injectable()
export class ReplicationMetrics {
  readonly executions;
  readonly tasks;
  readonly bytes;
  readonly blobs;
  readonly taskDuration;
  readonly executionDuration;
  readonly queueDepth;
  readonly transfersInFlight;
  readonly retries;
  readonly registryRequests;
  readonly guardTrips;
  readonly lag;
  readonly sourceBytes;
  readonly referrersCopied;
  private readonly names = new Map<string, string>();
  private depthSource?: () => Promise<number>;
  private driftSource?: () => Promise<DriftCount[]>;
  readonly outOfSync;

  constructor(
    metrics: MetricsService,
    private readonly registries: RegistriesService,
    private readonly owners: ExecutionOwners,
  ) {
    this.executions = metrics.counter({
      name: 'regrelay_executions_total',
      help: 'Executions finished, by policy, trigger and final status.',
      labelNames: ['policy', 'trigger', 'status'],
    });
    this.tasks = metrics.counter({
      name: 'regrelay_tasks_total',
      help: 'Tasks finished, by policy, destination registry, operation and result.',
      labelNames: ['policy', 'destination', 'operation', 'result'],
    });
    this.bytes = metrics.counter({
      name: 'regrelay_bytes_transferred_total',
      help: 'Blob bytes written to destinations, by policy and destination registry.',
      labelNames: ['policy', 'destination'],
    });
    this.blobs = metrics.counter({
      name: 'regrelay_blobs_total',
      help: 'Blobs handled at destinations: copied (bytes moved), mounted (cross-repository), skipped (already there).',
      labelNames: ['destination', 'result'],
    });
    this.taskDuration = metrics.histogram({
      name: 'regrelay_task_duration_seconds',
      help: 'Time a task attempt took, by operation and result.',
      labelNames: ['operation', 'result'],
      buckets: DURATION_BUCKETS,
    });
    this.executionDuration = metrics.histogram({
      name: 'regrelay_execution_duration_seconds',
      help: 'Time from start to end of an execution, by policy and status.',
      labelNames: ['policy', 'status'],
      buckets: DURATION_BUCKETS,
    });
    const depthOf = () => this.depthSource?.();
    this.queueDepth = metrics.gauge({
      name: 'regrelay_queue_depth',
      help: 'Tasks waiting to run (pending tasks of running executions), across all replicas.',
      async collect() {
        const depth = await depthOf()?.catch(() => undefined);
        if (depth !== undefined) this.set(depth);
      },
    });
    const driftOf = async () => {
      const rows = await this.driftSource?.();
      if (!rows) return undefined;
      return Promise.all(
        rows.map(async (r) => ({
          policy: await this.ownerLabel({ kind: 'policy', id: r.policyId }),
          destination: await this.registryName(r.destinationRegistryId),
          n: r.n,
        })),
      );
    };
    this.outOfSync = metrics.gauge({
      name: 'regrelay_out_of_sync_artifacts',
      help: "Artifacts out of sync at a destination (missing, different, extra) in the policy's latest drift report.",
      labelNames: ['policy', 'destination'],
      async collect() {
        const rows = await driftOf()?.catch(() => undefined);
        if (!rows) return;
        this.reset();
        for (const row of rows)
          this.set({ policy: row.policy, destination: row.destination }, row.n);
      },
    });
    this.transfersInFlight = metrics.gauge({
      name: 'regrelay_transfers_in_flight',
      help: 'Blob transfers this process is running now.',
    });
    this.retries = metrics.counter({
      name: 'regrelay_retries_total',
      help: 'Retried registry requests and task attempts, by reason.',
      labelNames: ['reason'],
    });
    this.guardTrips = metrics.counter({
      name: 'regrelay_deletion_guard_trips_total',
      help:
        'Plans whose deletions at a destination the deletion guard held, by policy, destination and reason ' +
        '(source_empty, too_many, source_unreadable).',
      labelNames: ['policy', 'destination', 'reason'],
    });
    this.sourceBytes = metrics.counter({
      name: 'regrelay_source_bytes_read_total',
      help: 'Blob bytes read from source registries (a read shared by several destinations counts once).',
      labelNames: ['registry'],
    });
    this.referrersCopied = metrics.counter({
      name: 'regrelay_referrers_copied_total',
      help:
        'Artifacts attached to images (signatures, attestations, SBOMs, other referrers) written at destinations, ' +
        'by policy, destination registry and kind (signature, attestation, sbom, other).',
      labelNames: ['policy', 'destination', 'kind'],
    });
    this.lag = metrics.histogram({
      name: 'regrelay_replication_lag_seconds',
      help: 'From the registry event that reported a change to the artifact being in place at a destination.',
      labelNames: ['policy', 'destination'],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
    });
    this.registryRequests = metrics.counter({
      name: 'regrelay_registry_requests_total',
      help: 'Requests made to registries, by registry, method and HTTP status (or "error" without one).',
      labelNames: ['registry', 'method', 'status'],
    });
  }

  /** The queue depth is read from the database at scrape time. */
  measureQueueDepth(source: () => Promise<number>): void {
    this.depthSource = source;
  }

  /** Drift is read from the database at scrape time, so every replica reports the same. */
  measureDrift(source: () => Promise<DriftCount[]>): void {
    this.driftSource = source;
  }

  async executionFinished(
    owner: ExecutionOwner,
    trigger: string,
    status: string,
    seconds: number,
  ): Promise<void> {
    const policy = await this.ownerLabel(owner);
    this.executions.inc({ policy, trigger, status });
    this.executionDuration.observe({ policy, status }, seconds);
  }

  async taskFinished(
    task: { owner: ExecutionOwner; destinationRegistryId: string; operation: string },
    result: string,
    seconds: number,
  ): Promise<void> {
    const [policy, destination] = await this.labels(task.owner, task.destinationRegistryId);
    this.tasks.inc({ policy, destination, operation: task.operation, result });
    this.taskDuration.observe({ operation: task.operation, result }, seconds);
  }

  async bytesMoved(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    bytes: number,
  ): Promise<void> {
    if (bytes <= 0) return;
    const [policy, destination] = await this.labels(owner, destinationRegistryId);
    this.bytes.inc({ policy, destination }, bytes);
  }

  async replicated(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    eventAt: Date,
  ): Promise<void> {
    const [policy, destination] = await this.labels(owner, destinationRegistryId);
    this.lag.observe({ policy, destination }, Math.max(0, (Date.now() - eventAt.getTime()) / 1000));
  }

  async attachedCopied(
    owner: ExecutionOwner,
    destinationRegistryId: string,
    kinds: readonly AttachedKind[],
  ): Promise<void> {
    if (!kinds.length) return;
    const [policy, destination] = await this.labels(owner, destinationRegistryId);
    for (const kind of kinds) this.referrersCopied.inc({ policy, destination, kind });
  }

  /** A registry's name for labels; cached, looked up on first use. */
  registryName(id: string): Promise<string> {
    return this.cached(`registry:${id}`, async () => {
      const registry = (await this.registries.getMany([id])).get(id);
      return registry?.name ?? id; // deleted since: the id still tells them apart
    });
  }

  /** An owner's label (see the class comment); cached, looked up on first use. */
  ownerLabel(owner: ExecutionOwner): Promise<string> {
    return this.cached(ownerKey(owner), async () => {
      if (owner.kind === 'copy') return 'copy:one-off';
      const name = (await this.owners.names([owner])).get(ownerKey(owner)) ?? owner.id;
      return owner.kind === 'policy' ? name : `${owner.kind}:${name}`;
    });
  }

  /** Renames and deletions must show up in new samples. */
  forget(id: string): void {
    for (const key of this.names.keys()) if (key.endsWith(`:${id}`)) this.names.delete(key);
  }

  private labels(owner: ExecutionOwner, registryId: string): Promise<[string, string]> {
    return Promise.all([this.ownerLabel(owner), this.registryName(registryId)]);
  }

  private async cached(key: string, load: () => Promise<string>): Promise<string> {
    const known = this.names.get(key);
    if (known) return known;
    const name = await load();
    this.names.set(key, name);
    return name;
  }
}
