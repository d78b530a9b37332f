import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { NullableOptional, OptionalInt } from '../../common/dto-decorators.js';
import { DEFAULT_REGISTRY_TIMEZONE } from '../../common/time-zone.js';
import type { RegistryCapabilities, RegistryEntity } from '../registry.entity.js';
import { WEBHOOK_SECRET_PATTERN } from '../webhook-secret.js';
import { DragonflyManagerDto, DragonflyManagerInputDto } from './dragonfly.dto.js';

const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

/** A DNS name or IPv4 address, or an IPv6 address in brackets, as URL.hostname has it. */
const HOST =
  /^(?:(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/i;

const WEBHOOK_SECRET_MESSAGE =
  'webhookSecret must be 16 to 256 visible ASCII characters without spaces (use a long random value)';

/** A caller-chosen webhook secret (creation and rotation). */
function WebhookSecretProperty(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description:
        "The secret this registry's webhooks authenticate with (`Authorization: Bearer <secret>`). " +
        'Omitted: a random one is generated. Returned once in the response, never again.',
      example: 'a-long-random-value-from-your-secret-store',
      minLength: 16,
      maxLength: 256,
      writeOnly: true,
    }),
    IsOptional(),
    IsString(),
    Matches(WEBHOOK_SECRET_PATTERN, { message: WEBHOOK_SECRET_MESSAGE }),
  );
}

export class CreateRegistryDto {
  @ApiProperty({ description: 'Unique name, used in metrics and logs', example: 'hq' })
  @IsString()
  @Matches(NAME, {
    message:
      'name must be 1-63 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  })
  name!: string;

  @ApiProperty({
    description: "The registry's base URL (scheme, host and port; no path)",
    example: 'https://registry.hq.example:5000',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ example: 'replicator' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  username?: string;

  @ApiPropertyOptional({
    description: 'Stored encrypted; never returned',
    example: 's3cret',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  password?: string;

  @ApiPropertyOptional({
    description: 'Skip TLS certificate verification (lab use only)',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  insecureTls?: boolean;

  @ApiPropertyOptional({
    description: 'PEM CA bundle to trust for this registry',
    example: '-----BEGIN CERTIFICATE-----\n…',
  })
  @IsOptional()
  @IsString()
  @MaxLength(65536)
  caCert?: string;

  @ApiPropertyOptional({
    description:
      "Hosts besides the registry's own to which its token realm (the Bearer realm in WWW-Authenticate) " +
      'may be sent the credentials, e.g. auth.docker.io for Docker Hub or the dockerauth host of an ' +
      'Alibaba ACR region. A realm on an unlisted host gets anonymous token requests only, and a ' +
      'request that needs credentials fails naming the realm. Host names only: no scheme, port or path.',
    example: ['auth.docker.io'],
    default: [],
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(HOST, {
    each: true,
    message:
      'each of tokenRealmHosts must be a host name or IP address, without scheme, port or path',
  })
  tokenRealmHosts?: string[];

  @ApiPropertyOptional({
    description: 'Most requests in flight to this registry at once',
    example: 16,
    default: 16,
  })
  @OptionalInt(1, 1024)
  maxConcurrentRequests?: number;

  @ApiPropertyOptional({
    description: 'Bytes per second shared by all transfers to and from this registry',
    example: 104857600,
  })
  @OptionalInt(1024)
  bandwidthLimit?: number;

  @WebhookSecretProperty()
  webhookSecret?: string;

  @ApiPropertyOptional({
    type: DragonflyManagerInputDto,
    description:
      'A Dragonfly manager asked to preheat what regrelay delivers to this registry (docs/dragonfly.md)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DragonflyManagerInputDto)
  dragonfly?: DragonflyManagerInputDto;

  @ApiPropertyOptional({
    description:
      "IANA time zone of the registry's webhook timestamps that carry none (ACR's `pushed_at`). " +
      `Unset: ${DEFAULT_REGISTRY_TIMEZONE}.`,
    example: 'Asia/Shanghai',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;
}

/**
 * PATCH: any subset; `password: null` (or `username: null`) clears it. The webhook
 * secret is not among them: it changes only by rotation, which returns the new one.
 */
export class UpdateRegistryDto extends PartialType(
  OmitType(CreateRegistryDto, ['webhookSecret'] as const),
) {
  @NullableOptional({ writeOnly: true })
  @IsString()
  @Length(1, 4096)
  declare password?: string;

  @NullableOptional()
  @IsString()
  @Length(1, 256)
  declare username?: string;

  @NullableOptional()
  @IsString()
  @MaxLength(65536)
  declare caCert?: string;

  @NullableOptional()
  @OptionalInt(1, 1024)
  declare maxConcurrentRequests?: number;

  @NullableOptional()
  @OptionalInt(1024)
  declare bandwidthLimit?: number;

  @NullableOptional({
    type: DragonflyManagerInputDto,
    description: 'Replaces the Dragonfly manager settings; null removes them',
  })
  @ValidateNested()
  @Type(() => DragonflyManagerInputDto)
  declare dragonfly?: DragonflyManagerInputDto;
  @NullableOptional({ description: `IANA time zone; null: ${DEFAULT_REGISTRY_TIMEZONE}` })
  @IsString()
  @MaxLength(64)
  declare timezone?: string;
}

export class CapabilitiesDto implements RegistryCapabilities {
  @ApiProperty({ description: 'Serves GET /v2/<name>/referrers/<digest>' })
  referrersApi!: boolean;
  @ApiProperty({ description: 'Deletes a tag without deleting its manifest' })
  tagDelete!: boolean;
  @ApiProperty({ description: 'Lists repositories at GET /v2/_catalog' })
  catalog!: boolean;
}

export class RegistryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'hq' })
  name!: string;
  @ApiProperty({ example: 'https://registry.hq.example:5000' })
  url!: string;
  @ApiProperty({ nullable: true, type: String, example: 'replicator' })
  username!: string | null;
  @ApiProperty({ description: 'A password is stored (it is never returned)' })
  hasPassword!: boolean;
  @ApiProperty({
    description:
      'A webhook secret is set (it is shown only when created or rotated); webhooks from this registry are accepted',
  })
  hasWebhookSecret!: boolean;
  @ApiProperty({ type: [String], example: ['auth.docker.io'] })
  tokenRealmHosts!: string[];
  @ApiProperty()
  insecureTls!: boolean;
  @ApiProperty({ nullable: true, type: String })
  caCert!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 16 })
  maxConcurrentRequests!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: null })
  bandwidthLimit!: number | null;
  @ApiProperty({
    nullable: true,
    type: DragonflyManagerDto,
    description:
      'The Dragonfly manager that preheats deliveries here (its token is never returned)',
  })
  dragonfly!: DragonflyManagerDto | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'Asia/Shanghai',
    description: `Time zone of zone-less webhook timestamps (ACR); null: ${DEFAULT_REGISTRY_TIMEZONE}`,
  })
  timezone!: string | null;
  @ApiProperty({ nullable: true, type: CapabilitiesDto, description: 'From the last ping' })
  capabilities!: CapabilitiesDto | null;
  @ApiProperty({ nullable: true, type: String })
  capabilitiesCheckedAt!: string | null;
  @ApiProperty()
  createdAt!: string;
  @ApiProperty()
  updatedAt!: string;

  static from(r: RegistryEntity): RegistryDto {
    return {
      id: r.id,
      name: r.name,
      url: r.url,
      username: r.username,
      hasPassword: r.passwordSealed !== null,
      hasWebhookSecret: r.webhookSecretHash !== null,
      tokenRealmHosts: r.tokenRealmHosts,
      insecureTls: r.insecureTls,
      caCert: r.caCert,
      maxConcurrentRequests: r.maxConcurrentRequests,
      bandwidthLimit: r.bandwidthLimit,
      dragonfly: r.dragonfly ? { ...r.dragonfly, hasToken: r.dragonflyTokenSealed !== null } : null,
      timezone: r.timezone,
      capabilities: r.capabilities,
      capabilitiesCheckedAt: r.capabilitiesCheckedAt?.toISOString() ?? null,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }
}

/** The answer to creation: the registry, and its webhook secret this once. */
export class CreatedRegistryDto extends RegistryDto {
  @ApiProperty({
    description:
      "The registry's webhook secret. Shown only now: configure it in the registry's notifications " +
      '(see docs/events.md). Lost: rotate it.',
    example: 'rrwh_3q2-7wY0uB4hN1kVx9cE5mZtR8aLs6dPfGjHoQiUeWy',
  })
  webhookSecret!: string;

  static created(r: RegistryEntity, webhookSecret: string): CreatedRegistryDto {
    return { ...RegistryDto.from(r), webhookSecret };
  }
}

export class RotateWebhookSecretDto {
  @WebhookSecretProperty()
  webhookSecret?: string;
}

export class WebhookSecretDto {
  @ApiProperty({ format: 'uuid' })
  registryId!: string;
  @ApiProperty({
    description: 'The new secret, shown only now. The previous one no longer authenticates.',
    example: 'rrwh_3q2-7wY0uB4hN1kVx9cE5mZtR8aLs6dPfGjHoQiUeWy',
  })
  webhookSecret!: string;
}

export class PingResultDto {
  @ApiProperty({ description: 'The registry answered /v2/ (with our credentials, if any)' })
  reachable!: boolean;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Round trip of the /v2/ check in ms',
    example: 12,
  })
  latencyMs!: number | null;
  @ApiProperty({ nullable: true, type: CapabilitiesDto })
  capabilities!: CapabilitiesDto | null;
  @ApiProperty({ nullable: true, type: String, example: 'connect ECONNREFUSED 10.0.0.5:5000' })
  error!: string | null;
}
