import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PatternList } from '../../common/dto-decorators.js';

export const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_MESSAGE = 'must be letters, digits, ".", "_" or "-", starting with a letter or digit';

const GATES_EXAMPLE = [
  { type: 'approval', required: 2 },
  { type: 'signature', publicKey: '-----BEGIN PUBLIC KEY-----\nMFkw…\n-----END PUBLIC KEY-----' },
  { type: 'referrer', artifactType: 'application/spdx+json' },
  { type: 'soak', seconds: 3600 },
  { type: 'check', url: 'https://qa.example/promotion-check', timeoutSeconds: 300 },
  { type: 'window', cron: '0 9 * * 1-4', durationMinutes: 240, timeZone: 'Europe/Berlin' },
];

export class StageDto {
  @ApiProperty({ example: 'prod', description: 'Unique within the pipeline' })
  @IsString()
  @Length(1, 63)
  @Matches(NAME_RULE, { message: `name ${NAME_MESSAGE}` })
  name!: string;

  @ApiProperty({ format: 'uuid', description: "The stage's registry" })
  @IsUUID()
  registryId!: string;

  @ApiPropertyOptional({
    example: 'prod/{repository}',
    default: '{repository}',
    description:
      'Where a pipeline repository lives in this stage; `{repository}` is replaced by its name',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  repository?: string;

  @ApiPropertyOptional({
    example: ['v*', 're:[0-9]+\\.[0-9]+\\.[0-9]+'],
    description: 'Tags (globs or re:…) that, once in this stage, are never re-pointed (409)',
  })
  @PatternList(0)
  immutableTags?: string[];

  @ApiPropertyOptional({
    example: GATES_EXAMPLE,
    description:
      'Checked before a promotion into this stage copies, each recorded with its evidence: ' +
      '`approval` {required, roles?, expiresAfterSeconds?}, `signature` {publicKey, artifactType?}, ' +
      '`referrer` {artifactType}, `soak` {seconds}, `check` {url, timeoutSeconds}, ' +
      '`window` {cron, durationMinutes, timeZone?}',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true })
  gates?: object[];

  @ApiPropertyOptional({
    default: false,
    description:
      'Promote a digest into this stage as soon as it arrives in the previous one and the gates pass',
  })
  @IsOptional()
  @IsBoolean()
  autoPromote?: boolean;
}

export class PipelineBodyDto {
  @ApiProperty({ example: 'app-release' })
  @IsString()
  @Length(1, 100)
  @Matches(NAME_RULE, { message: `name ${NAME_MESSAGE}` })
  name!: string;

  @ApiProperty({
    type: [StageDto],
    minItems: 2,
    description: 'In order: dev → test → staging → prod',
  })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => StageDto)
  stages!: StageDto[];
}

export class StageViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'prod' }) name!: string;
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'prod-registry' }) registry!: string | null;
  @ApiProperty({ example: 'prod/{repository}' }) repository!: string;
  @ApiProperty({ example: ['v*'] }) immutableTags!: string[];
  @ApiProperty({ example: GATES_EXAMPLE.slice(0, 2) }) gates!: object[];
  @ApiProperty() autoPromote!: boolean;
}

export class PipelineDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'app-release' }) name!: string;
  @ApiProperty({ type: [StageViewDto] }) stages!: StageViewDto[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
