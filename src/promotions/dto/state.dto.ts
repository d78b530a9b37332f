import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../../replication/dto/execution.dto.js';
import { PROMOTION_STATUSES, type PromotionStatus } from '../promotion.entity.js';

export const HISTORY_STATUSES = [...PROMOTION_STATUSES, 'open'] as const;
export type HistoryStatus = PromotionStatus | 'open';

export class HistoryQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'team/app' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  repository?: string;
  @ApiPropertyOptional({ example: 'prod' }) @IsOptional() @IsString() @MaxLength(63) stage?: string;
  @ApiPropertyOptional({
    enum: HISTORY_STATUSES,
    description: 'Only promotions in this status; `open`: waiting, queued or running',
  })
  @IsOptional()
  @IsIn(HISTORY_STATUSES, { message: `status must be one of ${HISTORY_STATUSES.join(', ')}` })
  status?: HistoryStatus;
}

export class StateQuery {
  @ApiPropertyOptional({ example: 'team/app' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  repository?: string;

  @ApiPropertyOptional({
    maximum: 200,
    example: 25,
    description: 'A page of this many repositories (by name); without it, every repository',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({
    maximum: 100,
    example: 5,
    description:
      'Only the newest this many digests per stage and repository (`digestCount` has them all)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  digests?: number;

  @ApiPropertyOptional({
    maximum: 100,
    example: 5,
    description:
      'Only the tags written last, this many per stage and repository (`tagCount` has them all)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  tags?: number;
}

export class TagStateDto {
  @ApiProperty({ example: '1.4.2' }) tag!: string;
  @ApiProperty({ example: 'sha256:9b7c…' }) digest!: string;
  @ApiProperty({ format: 'uuid', description: 'The promotion that last wrote it' })
  promotionId!: string;
  @ApiProperty() promotedAt!: string;
}

export class DigestStateDto {
  @ApiProperty({ example: 'sha256:9b7c…' }) digest!: string;
  @ApiProperty({ description: 'Since when regrelay knows it is in the stage' }) since!: string;
  @ApiProperty({ enum: ['promotion', 'rollback', 'event', 'observed'] }) how!: string;
}

export class RepositoryStateDto {
  @ApiProperty({ example: 'team/app' }) repository!: string;
  @ApiProperty({ type: [TagStateDto], description: 'By name' }) tags!: TagStateDto[];
  @ApiProperty({
    example: 40,
    description: 'Tags the promotions left in the stage (more than listed with `tags`)',
  })
  tagCount!: number;
  @ApiProperty({ type: [DigestStateDto], description: 'Oldest first' }) digests!: DigestStateDto[];
  @ApiProperty({
    example: 12,
    description: 'Digests known in the stage for the repository (more than listed with `digests`)',
  })
  digestCount!: number;
  @ApiProperty({
    nullable: true,
    type: Object,
    description: 'Set while a rollback holds auto-promotion into the stage for this repository',
    example: { promotionId: '…', heldBy: 'alice', heldAt: '2026-12-01T10:00:00.000Z' },
  })
  hold!: { promotionId: string; heldBy: string; heldAt: string } | null;
}

export class StageStateDto {
  @ApiProperty({ example: 'prod' }) stage!: string;
  @ApiProperty({ nullable: true, type: String, example: 'prod-registry' }) registry!: string | null;
  @ApiProperty({ example: 'prod/{repository}' }) repositoryTemplate!: string;
  @ApiProperty({ type: [RepositoryStateDto] }) repositories!: RepositoryStateDto[];
}

export class PipelineStateDto {
  @ApiProperty({ format: 'uuid' }) pipelineId!: string;
  @ApiProperty({ example: 'app-release' }) pipeline!: string;
  @ApiProperty({ type: [StageStateDto] }) stages!: StageStateDto[];
  @ApiProperty({ example: 140, description: 'Repositories in the state (all pages)' })
  repositoryCount!: number;
  @ApiProperty({ nullable: true, type: Number, example: 25, description: 'null: not paged' })
  limit!: number | null;
  @ApiProperty({ example: 0 }) offset!: number;
}
