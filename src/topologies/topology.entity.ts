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

export const TOPOLOGY_KINDS = ['tree', 'dual-master'] as const;
export type TopologyKind = (typeof TOPOLOGY_KINDS)[number];

/** How a dual-master pair settles a tag changed differently on both sides. */
export const CONFLICT_RULES = ['prefer-first', 'prefer-second', 'newest', 'hold'] as const;
export type ConflictRule = (typeof CONFLICT_RULES)[number];

/**
 * Registries wired together: a tree (one root, each node fed by its parent) or a
 * dual-master pair (two writable registries kept equal).
 */
@Entity({ name: 'topology' })
export class TopologyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'text' })
  kind!: TopologyKind;

  @Column({ type: 'text', array: true })
  repositories!: string[];

  @Column({ name: 'exclude_repositories', type: 'text', array: true, default: () => "'{}'" })
  excludeRepositories!: string[];

  @Column({ type: 'text', array: true })
  tags!: string[];

  @Column({ name: 'exclude_tags', type: 'text', array: true, default: () => "'{}'" })
  excludeTags!: string[];

  @Column({ type: 'boolean', default: false })
  deletion!: boolean;

  /** Trees: replace a node's tag that points elsewhere (pairs decide by comparison). */
  @Column({ type: 'boolean', default: false })
  override!: boolean;

  /** Pairs only. */
  @Column({ type: 'text', nullable: true })
  conflict!: ConflictRule | null;

  /** When to compare every node and repair (cron, UTC); null: never on a schedule. */
  @Column({ name: 'reconcile_cron', type: 'text', nullable: true, default: '0 * * * *' })
  reconcileCron!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @OneToMany(() => TopologyNodeEntity, (n) => n.topology, { cascade: true, eager: true })
  nodes!: TopologyNodeEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A registry in a topology: a tree node with its parent (null: the root), or a pair side. */
@Entity({ name: 'topology_node' })
export class TopologyNodeEntity {
  @PrimaryColumn({ name: 'topology_id', type: 'uuid' })
  topologyId!: string;

  @PrimaryColumn({ name: 'registry_id', type: 'uuid' })
  registryId!: string;

  @ManyToOne(() => TopologyEntity, (t) => t.nodes, {
    onDelete: 'CASCADE',
    orphanedRowAction: 'delete',
  })
  @JoinColumn({ name: 'topology_id' })
  topology!: TopologyEntity;

  @Column({ name: 'parent_registry_id', type: 'uuid', nullable: true })
  parentRegistryId!: string | null;

  /** Where the root's repositories live at this node: `r` at `namespace/r`. */
  @Column({ type: 'text', nullable: true })
  namespace!: string | null;

  /** Order as given (a pair's first and second registry). */
  @Column({ type: 'integer' })
  position!: number;
}
