import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { PageDto, PageQuery } from '../../replication/dto/execution.dto.js';

export class NodeStatusDto {
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'province-east' }) registry!: string | null;
  @ApiProperty({
    enum: ['root', 'node', 'first', 'second'],
    description: "A tree's root or another node; a pair's first or second registry",
  })
  role!: 'root' | 'node' | 'first' | 'second';
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parent!: string | null;
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description:
      'True when the last sync found nothing missing or different and no delivery waits; null before any sync',
  })
  inSync!: boolean | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Tags it lacked at the last sync' })
  missing!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Tags with another digest at the last sync',
  })
  different!: number | null;
  @ApiProperty({
    description: 'Deliveries waiting for it to answer again (it was down)',
    example: 0,
  })
  waiting!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 2.4,
    description:
      'End to end: from the push at the root (or the other master) to the last delivery here',
  })
  lagSeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastErrorAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Last delivery here' })
  lastSyncedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Last compared by a sync' })
  checkedAt!: string | null;
}

export class TopologyStatusDto {
  @ApiProperty({ format: 'uuid' }) topologyId!: string;
  @ApiProperty({ enum: ['tree', 'dual-master'] }) kind!: string;
  @ApiProperty({ type: [NodeStatusDto] }) nodes!: NodeStatusDto[];
  @ApiProperty({ description: 'Conflicts waiting for a person', example: 0 })
  conflictsHeld!: number;
}

export class PlannedActionDto {
  @ApiProperty({ enum: ['copy', 'delete'] }) action!: 'copy' | 'delete';
  @ApiProperty({
    format: 'uuid',
    description: 'Where it would be copied from (or deleted because of)',
  })
  from!: string;
  @ApiProperty({ format: 'uuid' }) to!: string;
  @ApiProperty({ example: 'library/nginx' }) repository!: string;
  @ApiProperty({ nullable: true, type: String, example: '1.27' }) tag!: string | null;
  @ApiProperty({ example: 'sha256:0f3c…' }) digest!: string;
}

export class TopologyPlanDto {
  @ApiProperty({ example: 12 }) copies!: number;
  @ApiProperty({ example: 0 }) deletions!: number;
  @ApiProperty({ type: [PlannedActionDto], description: 'The first 500 actions' })
  items!: PlannedActionDto[];
  @ApiProperty({ description: 'More actions than listed' }) truncated!: boolean;
}

export class SyncStartedDto {
  @ApiProperty({ format: 'uuid' }) executionId!: string;
  @ApiProperty({ description: 'A sync was already waiting; this request joined it' })
  coalesced!: boolean;
}

export class ConflictDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'library/app' }) repository!: string;
  @ApiProperty({ example: 'latest' }) tag!: string;
  @ApiProperty({
    description: 'Registry id → the digest it held when the conflict was found (null: absent)',
    example: {
      '8f0c6b1e-3b5d-4d7c-9a51-0d1f2e3a4b5c': 'sha256:aa…',
      '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d': 'sha256:bb…',
    },
  })
  digests!: Record<string, string | null>;
  @ApiProperty({
    enum: ['prefer-first', 'prefer-second', 'newest', 'manual', 'change-kept', 'held'],
    description: 'How it was settled, or held (waiting for a person)',
  })
  resolution!: string;
  @ApiProperty({ nullable: true, type: String }) resolvedDigest!: string | null;
  @ApiProperty() detectedAt!: string;
  @ApiProperty({ nullable: true, type: String }) resolvedAt!: string | null;
}

export class ConflictPageDto extends PageDto {
  @ApiProperty({ type: [ConflictDto] }) items!: ConflictDto[];
}

export class ConflictQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only held (true) or only settled (false) conflicts' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'held must be true or false' })
  held?: boolean;
}

export class ResolveConflictDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The side whose digest wins; it is copied to the other',
  })
  @IsUUID()
  registryId!: string;
}
