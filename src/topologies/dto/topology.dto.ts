import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { FiltersDto, FiltersViewDto } from '../../policies/dto/policy.dto.js';
import {
  CONFLICT_RULES,
  TOPOLOGY_KINDS,
  type ConflictRule,
  type TopologyEntity,
  type TopologyKind,
} from '../topology.entity.js';

const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

export class TreeNodeDto {
  @ApiProperty({ format: 'uuid', description: 'The registry at this node' })
  @IsUUID()
  registryId!: string;

  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: "The parent node's registry; null for the root (exactly one)",
  })
  @ValidateIf((_, v) => v !== null)
  @IsUUID()
  parent!: string | null;

  @ApiPropertyOptional({
    example: 'mirror',
    description:
      "Where the root's repositories live at this node: library/nginx at mirror/library/nginx. Not for the root.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  namespace?: string;
}

export class TopologyReconcileDto {
  @ApiPropertyOptional({
    description:
      'When to compare every node with the root (or both sides) and repair (cron, UTC); null: never',
    example: '0 * * * *',
    default: '0 * * * *',
    nullable: true,
    type: String,
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @Length(9, 200)
  cron?: string | null;
}

export class CreateTopologyDto {
  @ApiProperty({ example: 'hq-provinces-cities' })
  @IsString()
  @Matches(NAME, {
    message:
      'name must be 1-63 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  })
  name!: string;

  @ApiProperty({ enum: TOPOLOGY_KINDS, example: 'tree' })
  @IsIn(TOPOLOGY_KINDS)
  kind!: TopologyKind;

  @ApiPropertyOptional({
    type: [TreeNodeDto],
    description: 'kind tree: every node with its parent; any depth, fan-out at every level',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => TreeNodeDto)
  nodes?: TreeNodeDto[];

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'kind dual-master: the two writable registries, first and second',
    example: ['8f0c6b1e-3b5d-4d7c-9a51-0d1f2e3a4b5c', '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'],
  })
  @IsOptional()
  @IsArray()
  @IsUUID(undefined, { each: true })
  registries?: string[];

  @ApiPropertyOptional({
    enum: CONFLICT_RULES,
    description:
      'kind dual-master: a tag changed differently on both sides is settled by taking the first ' +
      "registry's, the second's, the newest push (by the registries' event times), or held for a person",
  })
  @IsOptional()
  @IsIn(CONFLICT_RULES)
  conflict?: ConflictRule;

  @ApiPropertyOptional({ type: FiltersDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => FiltersDto)
  filters?: FiltersDto;

  @ApiPropertyOptional({
    description: 'Deletions flow too (down the tree, or across the pair), under the deletion guard',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  deletion?: boolean;

  @ApiPropertyOptional({
    description: "kind tree: replace a node's tag that points at another digest",
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  override?: boolean;

  @ApiPropertyOptional({ type: TopologyReconcileDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TopologyReconcileDto)
  reconcile?: TopologyReconcileDto;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/** PATCH: any subset but the kind; nodes, registries and filters are replaced whole. */
export class UpdateTopologyDto extends PartialType(
  OmitType(CreateTopologyDto, ['kind'] as const),
) {}

export class TreeNodeViewDto {
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parent!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'mirror' }) namespace!: string | null;
}

export class TopologyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'hq-provinces-cities' }) name!: string;
  @ApiProperty({ enum: TOPOLOGY_KINDS }) kind!: TopologyKind;
  @ApiProperty({ type: [TreeNodeViewDto], description: 'Trees: the nodes; pairs: both sides' })
  nodes!: TreeNodeViewDto[];
  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'Pairs: the first and second registry; trees: null',
  })
  registries!: string[] | null;
  @ApiProperty({ enum: CONFLICT_RULES, nullable: true }) conflict!: ConflictRule | null;
  @ApiProperty({ type: FiltersViewDto }) filters!: FiltersViewDto;
  @ApiProperty() deletion!: boolean;
  @ApiProperty() override!: boolean;
  @ApiProperty({ type: TopologyReconcileDto }) reconcile!: { cron: string | null };
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(t: TopologyEntity): TopologyDto {
    const nodes = [...t.nodes].sort((a, b) => a.position - b.position);
    return {
      id: t.id,
      name: t.name,
      kind: t.kind,
      nodes: nodes.map((n) => ({
        registryId: n.registryId,
        parent: n.parentRegistryId,
        namespace: n.namespace,
      })),
      registries: t.kind === 'dual-master' ? nodes.map((n) => n.registryId) : null,
      conflict: t.conflict,
      filters: {
        repositories: t.repositories,
        excludeRepositories: t.excludeRepositories,
        tags: t.tags,
        excludeTags: t.excludeTags,
      },
      deletion: t.deletion,
      override: t.override,
      reconcile: { cron: t.reconcileCron },
      enabled: t.enabled,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    };
  }
}
