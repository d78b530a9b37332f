import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
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
import { NullableOptional, OptionalInt, PatternList } from '../../common/dto-decorators.js';
import { TRIGGER_TYPES, type PolicyEntity, type TriggerType } from '../policy.entity.js';
import { VARIANTS, type Variants } from '../../oci/index.js';
import { ReferrersOption, type ReferrerSelection } from './referrers-option.js';

const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

export class DestinationDto {
  @ApiProperty({ format: 'uuid', description: 'Destination registry' })
  @IsUUID()
  registryId!: string;

  @ApiPropertyOptional({
    description:
      'Prefix for destination repositories: "mirror" turns library/nginx into mirror/library/nginx',
    example: 'mirror',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  namespace?: string;
}

export class FiltersDto {
  @ApiPropertyOptional({
    description: 'Source repositories to replicate: globs (*, **, ?, {a,b}) or re:<anchored regex>',
    example: ['library/**', 'team/app-{api,web}'],
    default: ['**'],
  })
  @PatternList(1)
  repositories?: string[];

  @ApiPropertyOptional({ example: ['**/test-*'], default: [] })
  @PatternList(0)
  excludeRepositories?: string[];

  @ApiPropertyOptional({
    description: 'Tags to replicate',
    example: ['v*', 're:\\d+\\.\\d+\\.\\d+'],
    default: ['*'],
  })
  @PatternList(1)
  tags?: string[];

  @ApiPropertyOptional({ example: ['*-debug'], default: [] })
  @PatternList(0)
  excludeTags?: string[];
}

/** A policy's filters: the name patterns, and what else selects its tags. */
export class PolicyFiltersDto extends FiltersDto {
  @ApiPropertyOptional({
    description:
      'Of the tags the patterns select, those whose name is a semantic version (a leading "v" allowed) in this range, e.g. ">=1.2 <2"',
    example: '>=1.2 <2',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  semver?: string;

  @ApiPropertyOptional({
    description:
      "Per repository, only the N most recently pushed of the selected tags (by the image config's created time, else the registry's push event time); with deletion on, tags that fall out are deleted where regrelay wrote them",
    example: 3,
  })
  @OptionalInt(1, 10000)
  latest?: number;

  @ApiPropertyOptional({
    enum: VARIANTS,
    default: 'all',
    description:
      "For an index holding an OCI image and its Nydus conversion side by side: copy only the OCI or only the Nydus entries, as a new index (another digest than the source's)",
  })
  @IsOptional()
  @IsIn(VARIANTS)
  variants?: Variants;
}

export class TriggerDto {
  @ApiProperty({ enum: TRIGGER_TYPES, example: 'cron' })
  @IsIn(TRIGGER_TYPES)
  type!: TriggerType;

  @ApiPropertyOptional({
    description: 'Cron expression (5 or 6 fields, UTC); required for type cron',
    example: '*/15 * * * *',
  })
  @ValidateIf((o: TriggerDto) => o.type === 'cron' || o.cron !== undefined)
  @IsString()
  @Length(9, 200)
  cron?: string;
}

export class ReconcileDto {
  @ApiPropertyOptional({
    description: 'When to look for drift (cron, UTC); null turns scheduled reconciliation off',
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

  @ApiPropertyOptional({
    description: 'Start an execution that repairs the drift found',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  repair?: boolean;
}

export class CreatePolicyDto {
  @ApiProperty({ example: 'hq-to-regions' })
  @IsString()
  @Matches(NAME, {
    message:
      'name must be 1-63 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  })
  name!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  sourceRegistryId!: string;

  @ApiProperty({ type: [DestinationDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => DestinationDto)
  destinations!: DestinationDto[];

  @ApiPropertyOptional({
    type: PolicyFiltersDto,
    description: 'Omitted: every repository and tag',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PolicyFiltersDto)
  filters?: PolicyFiltersDto;

  @ApiPropertyOptional({ type: TriggerDto, default: { type: 'manual' } })
  @IsOptional()
  @ValidateNested()
  @Type(() => TriggerDto)
  trigger?: TriggerDto;

  @ApiPropertyOptional({
    type: ReconcileDto,
    description: 'Drift detection: schedule and whether to repair',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReconcileDto)
  reconcile?: ReconcileDto;

  @ApiPropertyOptional({
    description: 'Replace a destination tag that points at another digest',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  override?: boolean;

  @ApiPropertyOptional({
    description: 'Propagate deletions of tags this policy replicated',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  deletion?: boolean;

  @ReferrersOption()
  referrers?: ReferrerSelection;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: "Most of this policy's tasks running at once", example: 8 })
  @OptionalInt(1, 256)
  maxConcurrency?: number;

  @ApiPropertyOptional({
    description: "Bytes per second across this policy's transfers",
    example: 52428800,
  })
  @OptionalInt(1024)
  bandwidthLimit?: number;
}

/** PATCH: any subset; `destinations` and `filters` replace the whole value; null clears the limits. */
export class UpdatePolicyDto extends PartialType(CreatePolicyDto) {
  @NullableOptional()
  @OptionalInt(1, 256)
  declare maxConcurrency?: number;

  @NullableOptional()
  @OptionalInt(1024)
  declare bandwidthLimit?: number;
}

export class FiltersViewDto {
  @ApiProperty({ example: ['library/**'] })
  repositories!: string[];
  @ApiProperty({ example: [] })
  excludeRepositories!: string[];
  @ApiProperty({ example: ['v*'] })
  tags!: string[];
  @ApiProperty({ example: ['*-debug'] })
  excludeTags!: string[];
}

class PolicyFiltersViewDto extends FiltersViewDto {
  @ApiProperty({ nullable: true, type: String, example: null })
  semver!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: null })
  latest!: number | null;
  @ApiProperty({ enum: VARIANTS, example: 'all' })
  variants!: Variants;
}

class TriggerViewDto {
  @ApiProperty({ enum: TRIGGER_TYPES })
  type!: TriggerType;
  @ApiPropertyOptional({ example: '*/15 * * * *' })
  cron?: string;
}

class ReconcileViewDto {
  @ApiProperty({ nullable: true, type: String, example: '0 * * * *' })
  cron!: string | null;
  @ApiProperty()
  repair!: boolean;
}

class DestinationViewDto {
  @ApiProperty({ format: 'uuid' })
  registryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'mirror' })
  namespace!: string | null;
}

export class PolicyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'hq-to-regions' })
  name!: string;
  @ApiProperty({ format: 'uuid' })
  sourceRegistryId!: string;
  @ApiProperty({ type: [DestinationViewDto] })
  destinations!: DestinationViewDto[];
  @ApiProperty({ type: PolicyFiltersViewDto })
  filters!: PolicyFiltersViewDto;
  @ApiProperty({ type: TriggerViewDto })
  trigger!: TriggerViewDto;
  @ApiProperty({ type: ReconcileViewDto })
  reconcile!: ReconcileViewDto;
  @ApiProperty()
  override!: boolean;
  @ApiProperty()
  deletion!: boolean;
  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['all', 'none'] },
      { type: 'array', items: { type: 'string' } },
    ],
    example: 'all',
  })
  referrers!: ReferrerSelection;
  @ApiProperty()
  enabled!: boolean;
  @ApiProperty({ nullable: true, type: Number })
  maxConcurrency!: number | null;
  @ApiProperty({ nullable: true, type: Number })
  bandwidthLimit!: number | null;
  @ApiProperty()
  createdAt!: string;
  @ApiProperty()
  updatedAt!: string;

  static from(p: PolicyEntity): PolicyDto {
    return {
      id: p.id,
      name: p.name,
      sourceRegistryId: p.sourceRegistryId,
      destinations: [...p.destinations]
        .sort((a, b) => a.position - b.position)
        .map((d) => ({ registryId: d.registryId, namespace: d.namespace })),
      filters: {
        repositories: p.repositories,
        excludeRepositories: p.excludeRepositories,
        tags: p.tags,
        excludeTags: p.excludeTags,
        semver: p.tagSemver,
        latest: p.tagLatest,
        variants: p.variants,
      },
      trigger: p.triggerCron
        ? { type: p.triggerType, cron: p.triggerCron }
        : { type: p.triggerType },
      reconcile: { cron: p.reconcileCron, repair: p.reconcileRepair },
      override: p.override,
      deletion: p.deletion,
      referrers: p.referrers,
      enabled: p.enabled,
      maxConcurrency: p.maxConcurrency,
      bandwidthLimit: p.bandwidthLimit,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    };
  }
}
