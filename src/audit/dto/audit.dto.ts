import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { PageDto, PageQuery } from '../../replication/dto/execution.dto.js';
import type { AuditLogEntity } from '../audit-log.entity.js';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'Only changes to this kind of resource',
    example: 'registry',
  })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, {
    message: 'resourceType must be a resource type such as registry, policy or token',
  })
  resourceType?: string;

  @ApiPropertyOptional({
    description: 'Only changes to this resource (its id)',
    example: '4f0c5b8e-6d0e-4b8b-9b7a-2f1d5f3a9c11',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  resourceId?: string;

  @ApiPropertyOptional({
    description: 'Only changes made with this API token: its id, or its name at the time',
    example: 'ci-pipeline',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  actor?: string;
}

export class AuditActorDto {
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The API token' })
  tokenId!: string | null;
  @ApiProperty({ example: 'ci-pipeline', description: "The token's name when the change was made" })
  name!: string;
}

export class AuditEntryDto {
  @ApiProperty({ example: 1042 }) id!: number;
  @ApiProperty({ example: '2026-12-01T08:00:00.000Z' }) at!: string;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiProperty({
    example: 'update',
    description:
      'create, update, delete, or what the route did: revoke, rotate-webhook-secret, ping, trigger-execution, stop, confirm-deletions, reconcile…',
  })
  action!: string;
  @ApiProperty({ example: 'registry' }) resourceType!: string;
  @ApiProperty({ nullable: true, type: String, example: '4f0c5b8e-6d0e-4b8b-9b7a-2f1d5f3a9c11' })
  resourceId!: string | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description: 'The resource before the change (secrets "[redacted]"); null for a creation',
    example: { name: 'hq', url: 'https://hq.example', hasPassword: true },
  })
  before!: unknown;
  @ApiProperty({
    nullable: true,
    type: Object,
    description:
      'The resource after the change, or the answer to the request (secrets "[redacted]"); null for a deletion',
    example: { name: 'hq', url: 'https://hq.example:5000', hasPassword: true },
  })
  after!: unknown;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '8d3c1f0e-…',
    description: 'X-Request-Id of the request',
  })
  requestId!: string | null;

  static from(e: AuditLogEntity): AuditEntryDto {
    return {
      id: Number(e.id),
      at: e.at.toISOString(),
      actor: { tokenId: e.actorTokenId, name: e.actorName },
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      before: e.before ?? null,
      after: e.after ?? null,
      requestId: e.requestId,
    };
  }
}

export class AuditPageDto extends PageDto {
  @ApiProperty({ type: [AuditEntryDto] }) items!: AuditEntryDto[];
}
