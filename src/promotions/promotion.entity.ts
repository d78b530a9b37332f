import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintColumn } from '../common/bigint-column.js';
import type { GateRecord } from './gates/gate-types.js';

export const PROMOTION_STATUSES = [
  'waiting',
  'queued',
  'running',
  'succeeded',
  'failed',
  'refused',
] as const;
/**
 * `waiting`: for its gates; `queued`: gates passed, for its turn in the stage (one
 * promotion copies into a stage at a time); `running`: copying; then `succeeded`,
 * `failed` (the copy failed) or `refused` (a gate or a rule said no).
 */
export type PromotionStatus = (typeof PROMOTION_STATUSES)[number];
export const OPEN_STATUSES: readonly PromotionStatus[] = ['waiting', 'queued', 'running'];
export type PromotionKind = 'promote' | 'auto' | 'rollback';

/** Where a promoted digest arrived below a stage that roots a tree topology. */
export interface LeafArrival {
  registryId: string;
  repository: string;
  arrivedAt: string | null;
}

/** One promotion of one digest into one stage; rows are history and are never pruned. */
@Entity({ name: 'promotion' })
export class PromotionEntity {
  @PrimaryColumn('uuid') id!: string;
  /** Request order: promotions into a stage take their turns in this order. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintColumn })
  seq!: number;
  @Column({ name: 'pipeline_id', type: 'uuid' }) pipelineId!: string;
  @Column({ name: 'stage_id', type: 'uuid', nullable: true }) stageId!: string | null;
  @Column({ name: 'stage_name', type: 'text' }) stageName!: string;
  @Column({ name: 'source_stage_id', type: 'uuid', nullable: true }) sourceStageId!: string | null;
  @Column({ name: 'source_stage_name', type: 'text' }) sourceStageName!: string;
  @Column({ type: 'text' }) kind!: PromotionKind;
  /** The pipeline repository (before each stage's mapping). */
  @Column({ type: 'text' }) repository!: string;
  @Column({ name: 'source_registry_id', type: 'uuid' }) sourceRegistryId!: string;
  @Column({ name: 'source_repository', type: 'text' }) sourceRepository!: string;
  @Column({ name: 'destination_registry_id', type: 'uuid' }) destinationRegistryId!: string;
  @Column({ name: 'destination_repository', type: 'text' }) destinationRepository!: string;
  @Column({ type: 'text' }) digest!: string;
  @Column({ name: 'media_type', type: 'text', nullable: true }) mediaType!: string | null;
  /** The tag the request named at the source, if it named one (resolved to `digest` at once). */
  @Column({ name: 'requested_tag', type: 'text', nullable: true }) requestedTag!: string | null;
  /** The tag written in the stage; null: by digest only. */
  @Column({ type: 'text', nullable: true }) tag!: string | null;
  /** What the stage's tag pointed at when the promotion was requested. */
  @Column({ name: 'previous_digest', type: 'text', nullable: true }) previousDigest!: string | null;
  @Column({ name: 'requested_by_token_id', type: 'uuid', nullable: true })
  requestedByTokenId!: string | null;
  @Column({ name: 'requested_by', type: 'text' }) requestedBy!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'boolean', default: false }) forced!: boolean;
  @Column({ name: 'force_reason', type: 'text', nullable: true }) forceReason!: string | null;
  /** The stage's tag is immutable: the copy must never replace it. */
  @Column({ type: 'boolean', default: false }) immutable!: boolean;
  @Column({ type: 'text' }) status!: PromotionStatus;
  @Column({ type: 'jsonb', default: () => "'[]'" }) gates!: GateRecord[];
  @Column({ type: 'text', nullable: true }) message!: string | null;
  @Column({ name: 'execution_id', type: 'uuid', nullable: true }) executionId!: string | null;
  @Column({ name: 'bytes_moved', type: 'bigint', default: 0, transformer: bigintColumn })
  bytesMoved!: number;
  @Column({ type: 'jsonb', default: () => "'[]'" }) leaves!: LeafArrival[];
  @Column({ name: 'next_evaluation_at', type: 'timestamptz', nullable: true })
  nextEvaluationAt!: Date | null;
  /** The replica evaluating its gates now, and until when. */
  @Column({ name: 'lease_owner', type: 'text', nullable: true }) leaseOwner!: string | null;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'queued_at', type: 'timestamptz', nullable: true }) queuedAt!: Date | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** An approver's (or rejecter's) decision on a promotion; one per token. */
@Entity({ name: 'promotion_decision' })
export class PromotionDecisionEntity {
  @PrimaryColumn({ name: 'promotion_id', type: 'uuid' }) promotionId!: string;
  @PrimaryColumn({ name: 'token_id', type: 'uuid' }) tokenId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) role!: string;
  @Column({ type: 'text' }) decision!: 'approve' | 'reject';
  @Column({ type: 'text', nullable: true }) comment!: string | null;
  @Column({ name: 'decided_at', type: 'timestamptz', default: () => 'now()' }) decidedAt!: Date;
}
