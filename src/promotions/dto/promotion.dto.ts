import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { GATE_TYPES } from '../gates/gate-types.js';
import { PROMOTION_STATUSES, type PromotionStatus } from '../promotion.entity.js';

const DIGEST = 'sha256:9b7cb8d7c1e8a1a64bc9f9a4f2d3b7bdbd1d3c3e0f0b4a3a2c1d0e9f8a7b6c5d';

export class CreatePromotionDto {
  @ApiProperty({
    example: 'team/app',
    description: 'The pipeline repository (before each stage maps it)',
  })
  @IsString()
  @MaxLength(255)
  repository!: string;

  @ApiPropertyOptional({
    example: DIGEST,
    description: 'The digest to promote (or give a tag to resolve)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  digest?: string;

  @ApiPropertyOptional({
    example: '1.4.2',
    description:
      'Without digest: a tag in the previous stage, resolved to its digest once, now (from then on only that ' +
      'digest moves), and written under the same tag. With digest: the tag to write.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  tag?: string;

  @ApiProperty({ example: 'prod', description: 'The stage to promote into' })
  @IsString()
  @Length(1, 63)
  toStage!: string;

  @ApiPropertyOptional({
    example: 'stable',
    description: 'Write this tag in the stage instead (default: `tag`; neither: by digest only)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  targetTag?: string;

  @ApiPropertyOptional({ example: 'release 1.4.2', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Run the gates and report what would be copied, without copying or recording anything',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'Admin only: promote although the previous stage lacks the digest (needs forceReason; recorded)',
  })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ example: 'hotfix for incident 4711; test stage is down', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  forceReason?: string;
}

export class DecisionDto {
  @ApiPropertyOptional({ example: 'checked the release notes', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class RollbackDto {
  @ApiProperty({ example: 'prod' }) @IsString() @Length(1, 63) stage!: string;
  @ApiProperty({ example: 'team/app' }) @IsString() @MaxLength(255) repository!: string;
  @ApiProperty({ example: 'stable' }) @IsString() @MaxLength(128) tag!: string;
  @ApiPropertyOptional({
    example: DIGEST,
    description: 'An earlier digest promoted into the stage (default: the one before the current)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  digest?: string;
  @ApiPropertyOptional({ example: 'error rate after 1.4.2', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ReleaseDto {
  @ApiProperty({ example: 'prod' }) @IsString() @Length(1, 63) stage!: string;
  @ApiProperty({ example: 'team/app' }) @IsString() @MaxLength(255) repository!: string;
}

export class GateResultDto {
  @ApiProperty({ enum: GATE_TYPES, example: 'approval' }) type!: string;
  @ApiProperty({ enum: ['pending', 'passed', 'refused', 'skipped'], example: 'pending' })
  status!: string;
  @ApiProperty({ example: 'waiting for approval: 1 of 2 approvals (alice)' }) reason!: string;
  @ApiProperty({ example: { approvers: [{ name: 'alice', at: '2026-12-01T10:00:00.000Z' }] } })
  evidence!: Record<string, unknown>;
  @ApiProperty({ type: Object, example: { type: 'approval', required: 2 } }) config!: object;
  @ApiProperty({ nullable: true, type: String }) evaluatedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextCheckAt!: string | null;
}

export class DecisionViewDto {
  @ApiProperty({ example: 'alice' }) name!: string;
  @ApiProperty({ example: 'operator' }) role!: string;
  @ApiProperty({ enum: ['approve', 'reject'] }) decision!: string;
  @ApiProperty({ nullable: true, type: String }) comment!: string | null;
  @ApiProperty() at!: string;
}

export class PlaceDto {
  @ApiProperty({ example: 'staging' }) stage!: string;
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'staging-registry' }) registry!:
    string | null;
  @ApiProperty({ example: 'staging/team/app' }) repository!: string;
}

export class LeafDto {
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ example: 'team/app' }) repository!: string;
  @ApiProperty({ nullable: true, type: String }) arrivedAt!: string | null;
}

export class PromotionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) pipelineId!: string;
  @ApiProperty({ example: 'app-release' }) pipeline!: string;
  @ApiProperty({ enum: ['promote', 'auto', 'rollback'] }) kind!: string;
  @ApiProperty({ enum: PROMOTION_STATUSES, example: 'waiting' }) status!: PromotionStatus;
  @ApiProperty({
    example: 'waiting for approval: 1 of 2 approvals (alice)',
    description: 'In words: why it waits, was refused or failed, or that it is done',
  })
  message!: string;
  @ApiProperty({ example: 'team/app' }) repository!: string;
  @ApiProperty({ example: DIGEST }) digest!: string;
  @ApiProperty({ nullable: true, type: String, example: '1.4.2' }) tag!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '1.4.2' }) requestedTag!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'What the tag pointed at in the stage before',
  })
  previousDigest!: string | null;
  @ApiProperty({ type: PlaceDto, description: 'Where the digest comes from' }) from!: PlaceDto;
  @ApiProperty({ type: PlaceDto, description: 'The stage it goes into' }) to!: PlaceDto;
  @ApiProperty({ type: [GateResultDto] }) gates!: GateResultDto[];
  @ApiProperty({ type: [DecisionViewDto] }) decisions!: DecisionViewDto[];
  @ApiProperty({ example: 'release-bot' }) requestedBy!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() forced!: boolean;
  @ApiProperty({ nullable: true, type: String }) forceReason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The execution doing the copy' })
  executionId!: string | null;
  @ApiProperty({ example: 0, description: 'Blob bytes the copy sent' }) bytesMoved!: number;
  @ApiProperty({
    type: [LeafDto],
    description: 'When the stage roots a tree topology: when the digest arrived at each leaf',
  })
  leaves!: LeafDto[];
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) queuedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) endedAt!: string | null;
}

export class PromotionPageDto {
  @ApiProperty({ type: [PromotionDto] }) items!: PromotionDto[];
  @ApiProperty({ example: 1234 }) total!: number;
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
}

export class PlanDto {
  @ApiProperty({
    example: 2,
    description: 'Manifests (an index, its images, referrers) the stage lacks',
  })
  manifests!: number;
  @ApiProperty({ example: 5 }) blobs!: number;
  @ApiProperty({ example: 209715200, description: 'Bytes of the blobs the stage lacks' })
  bytes!: number;
  @ApiProperty({ example: 1, description: 'Blobs the stage already holds' }) blobsPresent!: number;
  @ApiProperty({ example: [{ digest: DIGEST, artifactType: 'application/spdx+json' }] })
  referrers!: { digest: string; artifactType: string | null }[];
  @ApiProperty({ description: 'The stage already holds the digest: only the tag is written' })
  retag!: boolean;
}

export class DryRunDto {
  @ApiProperty({ example: true }) dryRun!: true;
  @ApiProperty({ enum: ['would-promote', 'would-wait', 'refused'] }) status!: string;
  @ApiProperty({ example: 'would wait: waiting for approval: 0 of 2 approvals' }) message!: string;
  @ApiProperty({ example: DIGEST }) digest!: string;
  @ApiProperty({ nullable: true, type: String }) tag!: string | null;
  @ApiProperty({ type: PlaceDto }) from!: PlaceDto;
  @ApiProperty({ type: PlaceDto }) to!: PlaceDto;
  @ApiProperty({ type: [GateResultDto] }) gates!: GateResultDto[];
  @ApiProperty({ type: PlanDto }) plan!: PlanDto;
}
