import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintColumn } from '../common/bigint-column.js';

export const PREHEAT_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;
export type PreheatStatus = (typeof PREHEAT_STATUSES)[number];

/**
 * One Dragonfly preheat of one image an execution delivered to a registry (per
 * platform asked for). `pending`: not sent yet (or to be sent again); `running`: the
 * manager has the job; `succeeded`/`failed`: its outcome, which never changes the
 * execution's status.
 */
@Entity({ name: 'preheat' })
export class PreheatEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'execution_id', type: 'uuid' })
  executionId!: string;

  @Column({ name: 'registry_id', type: 'uuid' })
  registryId!: string;

  @Column({ type: 'text' })
  repository!: string;

  @Column({ type: 'text' })
  digest!: string;

  /** `os/arch[/variant]`, or '' for the manager's default platform. */
  @Column({ type: 'text', default: '' })
  platform!: string;

  @Column({ name: 'manifest_url', type: 'text' })
  manifestUrl!: string;

  @Column({ type: 'text' })
  status!: PreheatStatus;

  /** The manager's job id once it accepted the job. */
  @Column({ name: 'job_id', type: 'bigint', nullable: true, transformer: bigintColumn })
  jobId!: number | null;

  /** The job's last state as the manager reported it (PENDING … SUCCESS, FAILURE). */
  @Column({ name: 'job_state', type: 'text', nullable: true })
  jobState!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'peers_succeeded', type: 'integer', nullable: true })
  peersSucceeded!: number | null;

  @Column({ name: 'peers_failed', type: 'integer', nullable: true })
  peersFailed!: number | null;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
