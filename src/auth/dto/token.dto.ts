import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ROLES, type ApiTokenEntity, type Role, type TokenSource } from '../api-token.entity.js';

export class CreateTokenDto {
  @ApiProperty({ description: 'What the token is for', example: 'ci-pipeline' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({
    enum: ROLES,
    example: 'operator',
    description:
      'viewer: read only; operator: manage registries, policies and executions; admin: also tokens',
  })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    description: 'Days until the token expires; never when omitted',
    example: 90,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

export class TokenDto {
  @ApiProperty({ format: 'uuid', example: '4f0c5b8e-6d0e-4b8b-9b7a-2f1d5f3a9c11' })
  id!: string;

  @ApiProperty({ example: 'ci-pipeline' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'operator' })
  role!: Role;

  @ApiProperty({ enum: ['env', 'generated', 'api'], example: 'api' })
  source!: TokenSource;

  @ApiProperty({
    description:
      'Tells tokens apart without revealing any secret: the public id of a generated token (`rr_<id>_…`), else a fingerprint (`…<8 hex>`)',
    example: 'rr_Ab3dE9xQ_…',
  })
  hint!: string;

  @ApiProperty({ example: '2026-11-22T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ nullable: true, type: String, example: '2026-11-22T09:30:00.000Z' })
  lastUsedAt!: string | null;

  @ApiProperty({ nullable: true, type: String, example: null })
  expiresAt!: string | null;

  @ApiProperty({ nullable: true, type: String, example: null })
  revokedAt!: string | null;

  static from(entity: ApiTokenEntity): TokenDto {
    return {
      id: entity.id,
      name: entity.name,
      role: entity.role,
      source: entity.source,
      hint: entity.tokenHint ?? '…',
      createdAt: entity.createdAt.toISOString(),
      lastUsedAt: entity.lastUsedAt?.toISOString() ?? null,
      expiresAt: entity.expiresAt?.toISOString() ?? null,
      revokedAt: entity.revokedAt?.toISOString() ?? null,
    };
  }
}

export class IssuedTokenDto extends TokenDto {
  @ApiProperty({
    description: 'The token itself. Shown only in this response: store it now.',
    example: 'rr_Ab3dE9xQ_Q2xhcmlmeS1tZS1wbGVhc2UtdGhpcy1pcy1hbi1leGFt',
  })
  token!: string;
}
