import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintColumn } from '../common/bigint-column.js';
import type { ReferrerSelection, Variants } from '../oci/index.js';

export const TRIGGER_TYPES = ['manual', 'cron', 'event'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

@Entity({ name: 'policy' })
export class PolicyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ name: 'source_registry_id', type: 'uuid' })
  sourceRegistryId!: string;

  @Column({ type: 'text', array: true })
  repositories!: string[];

  @Column({ name: 'exclude_repositories', type: 'text', array: true, default: () => "'{}'" })
  excludeRepositories!: string[];

  @Column({ type: 'text', array: true })
  tags!: string[];

  @Column({ name: 'exclude_tags', type: 'text', array: true, default: () => "'{}'" })
  excludeTags!: string[];

  /** A semver range the selected tags must satisfy; null: any tag. */
  @Column({ name: 'tag_semver', type: 'text', nullable: true })
  tagSemver!: string | null;

  /** Per repository, only the N most recently pushed selected tags; null: all. */
  @Column({ name: 'tag_latest', type: 'integer', nullable: true })
  tagLatest!: number | null;

  /** Of an OCI + Nydus index, the entries copied (a new index unless 'all'). */
  @Column({ type: 'text', default: 'all' })
  variants!: Variants;

  @Column({ name: 'trigger_type', type: 'text' })
  triggerType!: TriggerType;

  @Column({ name: 'trigger_cron', type: 'text', nullable: true })
  triggerCron!: string | null;

  @Column({ type: 'boolean', default: false })
  override!: boolean;

  @Column({ type: 'boolean', default: false })
  deletion!: boolean;

  /** Attached artifacts copied with their images: 'all', 'none' or artifact types. */
  @Column({ type: 'jsonb', default: () => `'"all"'` })
  referrers!: ReferrerSelection;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'max_concurrency', type: 'integer', nullable: true })
  maxConcurrency!: number | null;

  /** Bytes per second across all of this policy's transfers. */
  @Column({ name: 'bandwidth_limit', type: 'bigint', nullable: true, transformer: bigintColumn })
  bandwidthLimit!: number | null;

  /** When to compare source and destinations for drift (cron, UTC); null: never on a schedule. */
  @Column({ name: 'reconcile_cron', type: 'text', nullable: true, default: '0 * * * *' })
  reconcileCron!: string | null;

  /** Start an execution that repairs the drift a reconcile finds. */
  @Column({ name: 'reconcile_repair', type: 'boolean', default: false })
  reconcileRepair!: boolean;

  @OneToMany(() => PolicyDestinationEntity, (d) => d.policy, { cascade: true, eager: true })
  destinations!: PolicyDestinationEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

@Entity({ name: 'policy_destination' })
export class PolicyDestinationEntity {
  @PrimaryColumn({ name: 'policy_id', type: 'uuid' })
  policyId!: string;

  @PrimaryColumn({ type: 'integer' })
  position!: number;

  @ManyToOne(() => PolicyEntity, (p) => p.destinations, {
    onDelete: 'CASCADE',
    orphanedRowAction: 'delete',
  })
  @JoinColumn({ name: 'policy_id' })
  policy!: PolicyEntity;

  @Column({ name: 'registry_id', type: 'uuid' })
  registryId!: string;

  /** Prefix for destination repositories: `mirror` turns `library/nginx` into `mirror/library/nginx`. */
  @Column({ type: 'text', nullable: true })
  namespace!: string | null;
}
