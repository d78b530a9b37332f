import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../../common/bigint-column.js';
import type { ReferrerSelection, Variants } from '../../oci/index.js';
import type { ExecutionOwner, OwnerKind } from '../owners/execution-owner.js';

export const EXECUTION_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'stopped'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const ACTIVE_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['pending', 'running'];

/**
 * What started an execution: a person or a client (`manual`), a schedule, registry
 * events, a reconcile's repair, or (`upstream`) the delivery of an artifact to the
 * node that feeds the next one (a tree's next level).
 */
export type ExecutionTrigger = 'manual' | 'cron' | 'event' | 'reconcile' | 'upstream';

/**
 * Limits an execution to some repositories (and optionally tags). Unset means the
 * whole of what the owner replicates. Event-driven executions carry one.
 */
export interface ExecutionScope {
  /** Source repository → tags to look at (empty list: every tag the filters allow). */
  repositories: Record<string, string[]>;
  /**
   * Source repository → manifests pushed by digest only: referrers (signatures,
   * SBOMs) whose subject may already be at the destinations.
   */
  digests?: Record<string, string[]>;
  /**
   * `repository:tag` → when the registry reported the change (ISO 8601), earliest
   * first; replication lag is measured from it.
   */
  since?: Record<string, string>;
}

@Entity({ name: 'execution' })
export class ExecutionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_kind', type: 'text' })
  ownerKind!: OwnerKind;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  /** '' for the owner's only lane (see ExecutionOwner.lane). */
  @Column({ name: 'owner_lane', type: 'text', default: '' })
  ownerLane!: string;

  /** Why it was asked for, as the requester put it (one-off copies). */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** Settings its tasks run with (see ExecutionSettings); the owner keeps them current. */
  @Column({ type: 'boolean', default: false })
  override!: boolean;

  @Column({ name: 'bandwidth_limit', type: 'bigint', nullable: true, transformer: bigintColumn })
  bandwidthLimit!: number | null;

  @Column({ name: 'max_concurrency', type: 'integer', nullable: true })
  maxConcurrency!: number | null;

  /** Attached artifacts copied with each artifact; null: all. */
  @Column({ type: 'jsonb', nullable: true })
  referrers!: ReferrerSelection | null;

  /** Of an OCI + Nydus index, the entries copied; null: all. */
  @Column({ type: 'text', nullable: true })
  variants!: Variants | null;

  @Column({ type: 'text' })
  trigger!: ExecutionTrigger;

  @Column({ type: 'text' })
  status!: ExecutionStatus;

  @Column({ type: 'jsonb', nullable: true })
  scope!: ExecutionScope | null;

  /** True once planning has produced every task. */
  @Column({ type: 'boolean', default: false })
  planned!: boolean;

  /**
   * Tags planning found already in place at a destination: counted as skipped, but
   * not written as task rows (a no-op resync would otherwise write one per tag).
   */
  @Column({ name: 'in_place', type: 'integer', default: 0 })
  inPlace!: number;

  @Column({ name: 'stop_requested', type: 'boolean', default: false })
  stopRequested!: boolean;

  /** Why planning could not finish; the execution fails once its tasks are done. */
  @Column({ name: 'planning_error', type: 'text', nullable: true })
  planningError!: string | null;

  @Column({ type: 'text', nullable: true })
  message!: string | null;

  /** The process planning this execution, and until when its claim holds. */
  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}

export function ownerOf(
  e: Pick<ExecutionEntity, 'ownerKind' | 'ownerId' | 'ownerLane'>,
): ExecutionOwner {
  return { kind: e.ownerKind, id: e.ownerId, ...(e.ownerLane ? { lane: e.ownerLane } : {}) };
}

/** An owner from a row's owner_kind, owner_id and owner_lane columns. */
export function ownerOfRow(row: {
  owner_kind: OwnerKind;
  owner_id: string;
  owner_lane?: string | null;
}): ExecutionOwner {
  return ownerOf({
    ownerKind: row.owner_kind,
    ownerId: row.owner_id,
    ownerLane: row.owner_lane ?? '',
  });
}
