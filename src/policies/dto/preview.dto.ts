import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { OptionalInt } from '../../common/dto-decorators.js';
import { PolicyFiltersDto } from './policy.dto.js';

export class PolicyPreviewRequestDto {
  @ApiProperty({ format: 'uuid', description: 'The source registry to list' })
  @IsUUID()
  sourceRegistryId!: string;

  @ApiPropertyOptional({
    type: PolicyFiltersDto,
    description:
      'Omitted: every repository and tag. `semver` narrows the count; with `latest`, a repository counts at most N tags (which N depends on push times, not listed here); `variants` changes no count',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PolicyFiltersDto)
  filters?: PolicyFiltersDto;

  @ApiPropertyOptional({
    description: 'Continue after this repository: the `next` of the previous page',
    example: 'library/nginx',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  after?: string;

  @ApiPropertyOptional({ description: 'Most repositories in one page', default: 50, maximum: 200 })
  @OptionalInt(1, 200)
  limit?: number;
}

export class PreviewRepositoryDto {
  @ApiProperty({ example: 'library/nginx' }) name!: string;
  @ApiProperty({ description: 'Tags the tag filters select', example: 28 }) tags!: number;
  @ApiProperty({ description: 'The first few selected tags', example: ['1.25', '1.26', '1.27'] })
  sampleTags!: string[];
  @ApiProperty({ description: 'Every tag was listed (false: the time budget ran out first)' })
  complete!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Why the tags could not be listed' })
  error!: string | null;
}

export class PolicyPreviewDto {
  @ApiProperty({ type: [PreviewRepositoryDto] }) repositories!: PreviewRepositoryDto[];
  @ApiProperty({ description: 'Selected repositories in this page', example: 12 })
  repositoryCount!: number;
  @ApiProperty({ description: 'Selected tags in this page', example: 340 }) tagCount!: number;
  @ApiProperty({ description: 'Source repository names looked at for this page', example: 120 })
  scanned!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `after` for the next page; null when the listing is complete',
    example: null,
  })
  next!: string | null;
  @ApiProperty({
    nullable: true,
    enum: ['limit', 'scan', 'time'],
    description:
      'Why the page ended before the listing: `limit` repositories found, `scan` names looked at, or the time budget',
    example: null,
  })
  stoppedBy!: 'limit' | 'scan' | 'time' | null;
}
