import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';

/** Items one request may carry. */
export const MAX_COPY_ITEMS = 1000;

export class CopySourceDto {
  @ApiProperty({ format: 'uuid', description: 'Source registry' })
  @IsUUID()
  registryId!: string;

  @ApiProperty({ example: 'library/nginx' })
  @IsString()
  @MaxLength(255)
  repository!: string;

  @ApiPropertyOptional({
    example: 'sha256:9b7cb8d7c1e8a1a64bc9f9a4f2d3b7bdbd1d3c3e0f0b4a3a2c1d0e9f8a7b6c5d',
    description: 'The digest to copy. Give exactly one of digest and tag.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  digest?: string;

  @ApiPropertyOptional({
    example: '1.27',
    description: 'A tag, resolved to its digest once, when the request is accepted',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  tag?: string;
}

export class CopyDestinationDto {
  @ApiProperty({ format: 'uuid', description: 'Destination registry' })
  @IsUUID()
  registryId!: string;

  @ApiPropertyOptional({
    example: 'prod/nginx',
    description: "Destination repository (default: the source's)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  repository?: string;

  @ApiPropertyOptional({
    example: '1.27',
    description:
      "Tag to write (default: the source's tag; none when the source is a digest: copied by digest only). " +
      'An existing tag pointing at another digest is replaced.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  tag?: string;
}

export class CopyItemDto {
  @ApiProperty({ type: CopySourceDto })
  @ValidateNested()
  @Type(() => CopySourceDto)
  source!: CopySourceDto;

  @ApiProperty({ type: CopyDestinationDto })
  @ValidateNested()
  @Type(() => CopyDestinationDto)
  destination!: CopyDestinationDto;
}

export class CreateCopiesDto {
  @ApiProperty({ type: [CopyItemDto], minItems: 1, maxItems: MAX_COPY_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_COPY_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => CopyItemDto)
  items!: CopyItemDto[];

  @ApiPropertyOptional({ example: 'release 1.27 to the regions', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ResolvedSourceDto {
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ example: 'library/nginx' }) repository!: string;
  @ApiProperty({
    example: 'sha256:9b7cb8d7c1e8a1a64bc9f9a4f2d3b7bdbd1d3c3e0f0b4a3a2c1d0e9f8a7b6c5d',
    description: 'The digest that will be copied (a tag is resolved to it once, now)',
  })
  digest!: string;
  @ApiProperty({ nullable: true, type: String, example: '1.27', description: 'The tag asked for' })
  tag!: string | null;
}

export class ResolvedDestinationDto {
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ example: 'prod/nginx' }) repository!: string;
  @ApiProperty({ nullable: true, type: String, example: '1.27' }) tag!: string | null;
}

export class ResolvedCopyDto {
  @ApiProperty({ type: ResolvedSourceDto }) source!: ResolvedSourceDto;
  @ApiProperty({ type: ResolvedDestinationDto }) destination!: ResolvedDestinationDto;
}

export class CopiesAcceptedDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The execution doing the copies (GET /api/v1/executions/:id, SSE at …/events)',
  })
  executionId!: string;
  @ApiProperty({ type: [ResolvedCopyDto], description: 'The items, in order, as they will run' })
  items!: ResolvedCopyDto[];
}
