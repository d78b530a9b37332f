import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MetricsService } from '../observability/metrics.service.js';

const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Replication metrics. Labels carry policy and registry names (bounded by what
 * operators configure), never repositories, tags or digests.
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
  private readonly names = new Map<string, string>();
  private depthSource?: () => Promise<number>;
  private driftSource?: () => Promise<{ policy: string; destination: string; n: number }[]>;
  readonly outOfSync;

  constructor(
    metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const driftOf = () => this.driftSource?.();
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
  measureDrift(source: () => Promise<{ policy: string; destination: string; n: number }[]>): void {
    this.driftSource = source;
  }

  async executionFinished(
    policyId: string,
    trigger: string,
    status: string,
    seconds: number,
  ): Promise<void> {
    const policy = await this.nameOf('policy', policyId);
    this.executions.inc({ policy, trigger, status });
    this.executionDuration.observe({ policy, status }, seconds);
  }

  async taskFinished(
    task: { policyId: string; destinationRegistryId: string; operation: string },
    result: string,
    seconds: number,
  ): Promise<void> {
    const [policy, destination] = await Promise.all([
      this.nameOf('policy', task.policyId),
      this.nameOf('registry', task.destinationRegistryId),
    ]);
    this.tasks.inc({ policy, destination, operation: task.operation, result });
    this.taskDuration.observe({ operation: task.operation, result }, seconds);
  }

  async bytesMoved(policyId: string, destinationRegistryId: string, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    const [policy, destination] = await Promise.all([
      this.nameOf('policy', policyId),
      this.nameOf('registry', destinationRegistryId),
    ]);
    this.bytes.inc({ policy, destination }, bytes);
  }

  async replicated(policyId: string, destinationRegistryId: string, eventAt: Date): Promise<void> {
    const [policy, destination] = await Promise.all([
      this.nameOf('policy', policyId),
      this.nameOf('registry', destinationRegistryId),
    ]);
    this.lag.observe({ policy, destination }, Math.max(0, (Date.now() - eventAt.getTime()) / 1000));
  }

  /** A policy's or registry's name for labels; cached, looked up on first use. */
  async nameOf(table: 'policy' | 'registry', id: string): Promise<string> {
    const key = `${table}:${id}`;
    const cached = this.names.get(key);
    if (cached) return cached;
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT name FROM ${table} WHERE id = $1`,
      [id],
    );
    const name = rows[0]?.name ?? id; // deleted since: the id still tells them apart
    this.names.set(key, name);
    return name;
  }

  /** Renames must show up in new samples. */
  forget(id: string): void {
    this.names.delete(`policy:${id}`);
    this.names.delete(`registry:${id}`);
  }
}
