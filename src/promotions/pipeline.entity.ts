import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  ManyToOne,
  JoinColumn,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Gate } from './gates/gate-types.js';

/** An ordered list of stages a digest moves through (dev → test → staging → prod). */
@Entity({ name: 'pipeline' })
export class PipelineEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @OneToMany(() => StageEntity, (s) => s.pipeline, { cascade: true, eager: true })
  stages!: StageEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A stage: a registry, a repository mapping, and the gates before a digest may enter. */
@Entity({ name: 'stage' })
export class StageEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'pipeline_id', type: 'uuid' })
  pipelineId!: string;

  @ManyToOne(() => PipelineEntity, (p) => p.stages, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'pipeline_id' })
  pipeline?: PipelineEntity;

  @Column({ type: 'integer' })
  position!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'registry_id', type: 'uuid' })
  registryId!: string;

  /** `{repository}` or e.g. `prod/{repository}`: where a pipeline repository lives here. */
  @Column({ type: 'text' })
  repository!: string;

  /** Tag patterns that, once written in this stage, never point elsewhere. */
  @Column({ name: 'immutable_tags', type: 'text', array: true, default: () => "'{}'" })
  immutableTags!: string[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  gates!: Gate[];

  @Column({ name: 'auto_promote', type: 'boolean', default: false })
  autoPromote!: boolean;
}

/** The stages of a pipeline in order. */
export function orderedStages(pipeline: PipelineEntity): StageEntity[] {
  return [...pipeline.stages].sort((a, b) => a.position - b.position);
}

/** Where a pipeline repository lives in a stage. */
export function stageRepository(
  stage: Pick<StageEntity, 'repository'>,
  repository: string,
): string {
  return stage.repository.replace('{repository}', repository);
}

/** The pipeline repository a stage repository is, if it matches the stage's mapping. */
export function pipelineRepository(
  stage: Pick<StageEntity, 'repository'>,
  repository: string,
): string | undefined {
  const [before, after] = stage.repository.split('{repository}') as [string, string];
  if (!repository.startsWith(before) || !repository.endsWith(after)) return undefined;
  const name = repository.slice(before.length, repository.length - after.length);
  return name || undefined;
}
