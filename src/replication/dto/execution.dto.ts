import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../executions/execution.entity.js';
import { OWNER_KINDS, type OwnerKind } from '../owners/execution-owner.js';
import { TASK_STATUSES, type TaskOperation, type TaskStatus } from '../tasks/task.entity.js';

export class TaskCountsDto {
  @ApiProperty({ example: 12 }) total!: number;
  @ApiProperty({ example: 0 }) pending!: number;
  @ApiProperty({ example: 2 }) running!: number;
  @ApiProperty({ example: 7 }) succeeded!: number;
  @ApiProperty({ example: 0 }) failed!: number;
  @ApiProperty({ example: 3 }) skipped!: number;
  @ApiProperty({ example: 0 }) stopped!: number;
  @ApiProperty({
    example: 0,
    description: 'Deletions held by the deletion guard, waiting for confirmation',
  })
  held!: number;
  @ApiProperty({
    example: 3,
    description:
      'Of `skipped`: tags planning found already in place at the destination. They are ' +
      'counted, not listed among the tasks (a no-op resync of many tags writes no rows)',
  })
  inPlace!: number;
}

export class ExecutionOwnerDto {
  @ApiProperty({ enum: OWNER_KINDS, example: 'policy' }) kind!: OwnerKind;
  @ApiProperty({
    format: 'uuid',
    description: 'The policy (or other owner); a one-off copy is its own owner (its execution id)',
  })
  id!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      "The part of the owner that runs on its own: a tree topology's edge (the parent registry's id); else null",
  })
  lane!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'hq-to-regions',
    description: "The owner's name (a policy's name); null for one-off copies",
  })
  name!: string | null;
}

export class ExecutionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    type: ExecutionOwnerDto,
    description: 'What the execution belongs to: at most one execution of an owner runs at once',
  })
  owner!: ExecutionOwnerDto;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The policy, for executions of a policy (the same as owner.id); else null',
  })
  policyId!: string | null;
  @ApiProperty({ enum: ['manual', 'cron', 'event', 'reconcile', 'upstream'], example: 'manual' })
  trigger!: string;
  @ApiProperty({ enum: EXECUTION_STATUSES, example: 'running' }) status!: ExecutionStatus;
  @ApiProperty({ type: TaskCountsDto }) counts!: TaskCountsDto;
  @ApiProperty({
    description: 'Bytes to move, as known so far (grows while planning and copying)',
    example: 734003200,
  })
  bytesTotal!: number;
  @ApiProperty({ description: 'Bytes moved so far', example: 524288000 }) bytesDone!: number;
  @ApiProperty({
    description:
      'Attached artifacts (signatures, attestations, SBOMs, other referrers) its tasks wrote at destinations',
    example: 6,
  })
  referrersCopied!: number;
  @ApiProperty({ description: 'Planning has listed everything; counts.total is final' })
  planned!: boolean;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-22T08:00:00.000Z' }) startedAt!:
    string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) endedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'release 1.4 to the regions',
    description: 'Why it was requested, as the requester said (one-off copies)',
  })
  reason!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Why it ended as it did, or what it waits for',
  })
  message!: string | null;
  @ApiProperty({ example: '2026-11-22T07:59:59.000Z' }) createdAt!: string;
}

export class TriggeredExecutionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: EXECUTION_STATUSES, example: 'pending' }) status!: ExecutionStatus;
  @ApiProperty({ description: 'An execution was already waiting; this trigger joined it' })
  coalesced!: boolean;
}

export class ConfirmedDeletionsDto {
  @ApiProperty({ format: 'uuid', description: 'The execution that runs the confirmed deletions' })
  executionId!: string;
  @ApiProperty({ example: 12 }) confirmed!: number;
}

export class TaskDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) executionId!: string;
  @ApiProperty({ enum: ['copy', 'delete'] }) operation!: TaskOperation;
  @ApiProperty({ format: 'uuid' }) sourceRegistryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'hq' }) sourceRegistry!: string | null;
  @ApiProperty({ example: 'library/nginx' }) sourceRepository!: string;
  @ApiProperty({ format: 'uuid' }) destinationRegistryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'region-a' }) destinationRegistry!:
    string | null;
  @ApiProperty({ example: 'mirror/library/nginx' }) destinationRepository!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '1.27',
    description: 'The tag written at the destination; null for a copy by digest',
  })
  tag!: string | null;
  @ApiProperty({
    example: 'sha256:0f3c…',
    description: 'The digest copied (fixed when the task was planned or requested) or deleted',
  })
  digest!: string;
  @ApiProperty({ nullable: true, type: String }) mediaType!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      'The digest written at the destination when it is not `digest`: an index narrowed to its OCI or Nydus entries (filters.variants) is a new manifest',
  })
  writtenDigest!: string | null;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why skipped, or the error',
    example: 'already present',
  })
  reason!: string | null;
  @ApiProperty({ example: 1 }) attempts!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'regrelay-7c9f6d-x2k4q:1:5e0c2a91',
    description:
      'The regrelay instance (host:pid:random) running the task, or that ran its last attempt once it ended; null while it waits',
  })
  worker!: string | null;
  @ApiProperty({ example: 31457280 }) bytesTotal!: number;
  @ApiProperty({ example: 31457280 }) bytesDone!: number;
  @ApiProperty({
    example: 3,
    description: 'Attached artifacts (signatures, attestations, SBOMs…) this task wrote',
  })
  referrersCopied!: number;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) endedAt!: string | null;
}

export class PageDto {
  @ApiProperty({ example: 137 }) total!: number;
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
}

export class ExecutionPageDto extends PageDto {
  @ApiProperty({ type: [ExecutionDto] }) items!: ExecutionDto[];
}

export class TaskPageDto extends PageDto {
  @ApiProperty({ type: [TaskDto] }) items!: TaskDto[];
}

export class PageQuery {
  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset: number = 0;
}

export class ExecutionQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Executions of this policy' })
  @IsOptional()
  @IsUUID()
  policyId?: string;

  @ApiPropertyOptional({ enum: OWNER_KINDS })
  @IsOptional()
  @IsIn(OWNER_KINDS)
  ownerKind?: OwnerKind;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  ownerId?: string;

  @ApiPropertyOptional({ enum: EXECUTION_STATUSES })
  @IsOptional()
  @IsIn(EXECUTION_STATUSES)
  status?: ExecutionStatus;
}

export class TaskQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;
}
