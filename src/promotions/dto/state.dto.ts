import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../replication/dto/execution.dto.js';

export class HistoryQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'team/app' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  repository?: string;
  @ApiPropertyOptional({ example: 'prod' }) @IsOptional() @IsString() @MaxLength(63) stage?: string;
}

export class StateQuery {
  @ApiPropertyOptional({ example: 'team/app' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  repository?: string;
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
  @ApiProperty({ type: [TagStateDto] }) tags!: TagStateDto[];
  @ApiProperty({ type: [DigestStateDto] }) digests!: DigestStateDto[];
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
}
