import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintColumn } from '../../common/bigint-column.js';

/**
 * `held`: a deletion the deletion guard kept back; it runs only if an operator
 * confirms it (POST /executions/:id/confirm-deletions).
 */
export const TASK_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'stopped',
  'held',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type TaskOperation = 'copy' | 'delete';

/** One artifact from one source to one destination, within an execution. */
@Entity({ name: 'task' })
export class TaskEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Insertion order; workers take tasks in this order. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintColumn })
  seq!: number;

  @Column({ name: 'execution_id', type: 'uuid' })
  executionId!: string;

  @Column({ type: 'text' })
  operation!: TaskOperation;

  @Column({ name: 'source_registry_id', type: 'uuid' })
  sourceRegistryId!: string;

  @Column({ name: 'source_repository', type: 'text' })
  sourceRepository!: string;

  @Column({ name: 'destination_registry_id', type: 'uuid' })
  destinationRegistryId!: string;

  @Column({ name: 'destination_repository', type: 'text' })
  destinationRepository!: string;

  /** The tag written at (or deleted from) the destination; null copies by digest only. */
  @Column({ type: 'text', nullable: true })
  tag!: string | null;

  /**
   * The digest the task copies — resolved once, when the task was planned or
   * requested, and never re-read from a tag — or the digest to delete.
   */
  @Column({ type: 'text' })
  digest!: string;

  @Column({ name: 'media_type', type: 'text', nullable: true })
  mediaType!: string | null;

  /**
   * What the destination tag must hold for the copy to write it (a compare-and-set):
   * null for no condition, '' for absent, else a digest. A pair never overwrites a
   * change made at a side after it compared the sides.
   */
  @Column({ name: 'destination_expected', type: 'text', nullable: true })
  destinationExpected!: string | null;

  /**
   * The destination repository listed no tags when the copy was planned: its first
   * attempt uploads blobs without a HEAD for each (a retry asks again, as the attempt
   * before it may have sent some).
   */
  @Column({ name: 'destination_empty', type: 'boolean', default: false })
  destinationEmpty!: boolean;

  @Column({ type: 'text' })
  status!: TaskStatus;

  /** Why it was skipped, or what went wrong. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'bytes_total', type: 'bigint', default: 0, transformer: bigintColumn })
  bytesTotal!: number;

  @Column({ name: 'bytes_done', type: 'bigint', default: 0, transformer: bigintColumn })
  bytesDone!: number;

  /**
   * The digest written at the destination when it is not `digest`: an index narrowed
   * to one variant (OCI or Nydus) is a new manifest with a digest of its own.
   */
  @Column({ name: 'written_digest', type: 'text', nullable: true })
  writtenDigest!: string | null;

  /**
   * A delete of a tag the source still has, dropped by the policy's retention-style
   * selection (semver, latest).
   */
  @Column({ name: 'out_of_selection', type: 'boolean', default: false })
  outOfSelection!: boolean;

  /** Attached artifacts (signatures, attestations, SBOMs…) this task wrote. */
  @Column({ name: 'referrers_copied', type: 'integer', default: 0 })
  referrersCopied!: number;

  /** A retry waits until then. */
  @Column({ name: 'not_before', type: 'timestamptz', nullable: true })
  notBefore!: Date | null;

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

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
