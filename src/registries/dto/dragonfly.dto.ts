import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  Min,
} from 'class-validator';
import {
  DRAGONFLY_SCOPES,
  type DragonflyManagerSettings,
  type DragonflyScope,
} from '../registry.entity.js';

/**
 * A Dragonfly manager that preheats what regrelay delivers to this registry (see
 * docs/dragonfly.md). Set as a whole; `token` may be left out on an update that keeps
 * the manager's origin, and then the stored token stays.
 */
export class DragonflyManagerInputDto {
  @ApiProperty({
    description: "The Dragonfly manager's base URL (scheme, host and port)",
    example: 'http://dragonfly-manager.dragonfly-system.svc:8080',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({
    description:
      'A Dragonfly personal access token with the `job` scope. Stored encrypted, never returned. ' +
      'Required when the manager is first set or its URL moves to another origin.',
    example: 'MmQ3YjQ1ZTItNjk1OS00ZDE0LWE0YjMtNGQ5ZjRkYzY5ODk4',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  token?: string;

  @ApiPropertyOptional({
    enum: DRAGONFLY_SCOPES,
    default: 'single_seed_peer',
    description: 'Which peers download the image: one seed peer, all seed peers, or all peers',
  })
  @IsOptional()
  @IsIn(DRAGONFLY_SCOPES)
  scope?: DragonflyScope;

  @ApiPropertyOptional({
    type: [String],
    example: ['linux/amd64', 'linux/arm64'],
    description:
      "Platforms to preheat, one job each; empty: one job for the manager's default platform",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @Matches(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, {
    each: true,
    message: 'each platform must look like os/arch or os/arch/variant, e.g. linux/arm64',
  })
  platforms?: string[];

  @ApiPropertyOptional({
    type: [Number],
    example: [1],
    description: "Dragonfly scheduler clusters to preheat in; empty: the manager's choice",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsInt({ each: true })
  @Min(1, { each: true })
  schedulerClusterIds?: number[];

  @ApiPropertyOptional({
    default: false,
    description:
      "Send this registry's username and password to the manager, which pulls the manifests itself. " +
      'Off by default: credentials then go to another origin than the one they were stored for.',
  })
  @IsOptional()
  @IsBoolean()
  passCredentials?: boolean;
}

export class DragonflyManagerDto implements DragonflyManagerSettings {
  @ApiProperty({ example: 'http://dragonfly-manager.dragonfly-system.svc:8080' })
  url!: string;
  @ApiProperty({ enum: DRAGONFLY_SCOPES, example: 'single_seed_peer' })
  scope!: DragonflyScope;
  @ApiProperty({ type: [String], example: ['linux/amd64'] })
  platforms!: string[];
  @ApiProperty({ type: [Number], example: [] })
  schedulerClusterIds!: number[];
  @ApiProperty({ example: false })
  passCredentials!: boolean;
  @ApiProperty({ description: 'A token is stored (it is never returned)', example: true })
  hasToken!: boolean;
}
