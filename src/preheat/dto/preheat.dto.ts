import { ApiProperty } from '@nestjs/swagger';
import { PREHEAT_STATUSES, type PreheatEntity, type PreheatStatus } from '../preheat.entity.js';

export class PreheatDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ example: 'library/nginx' }) repository!: string;
  @ApiProperty({ example: 'sha256:0f3c…' }) digest!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'linux/amd64',
    description: "null: the manager's default platform",
  })
  platform!: string | null;
  @ApiProperty({
    description: 'The manifest URL the manager was given',
    example: 'https://registry.example.com/v2/library/nginx/manifests/sha256:0f3c…',
  })
  manifestUrl!: string;
  @ApiProperty({ enum: PREHEAT_STATUSES, example: 'succeeded' }) status!: PreheatStatus;
  @ApiProperty({ nullable: true, type: Number, example: 42, description: "The manager's job id" })
  jobId!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'SUCCESS',
    description: 'The job state the manager last reported',
  })
  jobState!: string | null;
  @ApiProperty({ example: 1, description: 'Attempts at creating the job' }) attempts!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Why it failed, or the last error while it is retried',
  })
  error!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 3, description: 'Peers that preheated it' })
  peersSucceeded!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0, description: 'Peers that failed' })
  peersFailed!: number | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) endedAt!: string | null;

  static from(p: PreheatEntity): PreheatDto {
    return {
      id: p.id,
      registryId: p.registryId,
      repository: p.repository,
      digest: p.digest,
      platform: p.platform || null,
      manifestUrl: p.manifestUrl,
      status: p.status,
      jobId: p.jobId,
      jobState: p.jobState,
      attempts: p.attempts,
      error: p.error,
      peersSucceeded: p.peersSucceeded,
      peersFailed: p.peersFailed,
      createdAt: p.createdAt.toISOString(),
      endedAt: p.endedAt?.toISOString() ?? null,
    };
  }
}

export class PreheatCountsDto {
  @ApiProperty({ example: 3 }) total!: number;
  @ApiProperty({ example: 0 }) pending!: number;
  @ApiProperty({ example: 0 }) running!: number;
  @ApiProperty({ example: 3 }) succeeded!: number;
  @ApiProperty({ example: 0 }) failed!: number;
}

export class PreheatListDto {
  @ApiProperty({ type: PreheatCountsDto }) counts!: PreheatCountsDto;
  @ApiProperty({ type: [PreheatDto] }) items!: PreheatDto[];
}
