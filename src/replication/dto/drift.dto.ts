import { ApiProperty } from '@nestjs/swagger';
import type { DriftReport } from '../reconcile/drift-report.js';

class DriftSamplesDto {
  @ApiProperty({ example: ['library/nginx:1.27'] }) missing!: string[];
  @ApiProperty({ example: [] }) different!: string[];
  @ApiProperty({ example: ['library/nginx:1.25'] }) extra!: string[];
  @ApiProperty({ example: [] }) unreadable!: string[];
  @ApiProperty({ example: ['library/nginx:1.27'] }) attached!: string[];
}

export class DestinationDriftDto {
  @ApiProperty({ format: 'uuid' }) registryId!: string;
  @ApiProperty({ nullable: true, type: String, example: 'region-a' }) registry!: string | null;
  @ApiProperty({ description: 'Source tags the destination lacks', example: 1 }) missing!: number;
  @ApiProperty({ description: 'Source tags the destination holds with another digest', example: 0 })
  different!: number;
  @ApiProperty({ description: 'Tags regrelay wrote that the source no longer has', example: 1 })
  extra!: number;
  @ApiProperty({ description: 'Tags that could not be read at the destination', example: 0 })
  unreadable!: number;
  @ApiProperty({
    description:
      'Images in place whose signatures, attestations or SBOMs (from the source) the destination lacks',
    example: 0,
  })
  attached!: number;
  @ApiProperty({ description: 'No drift found' }) inSync!: boolean;
  @ApiProperty({ type: DriftSamplesDto, description: 'Up to 20 examples of each kind' })
  samples!: DriftSamplesDto;
}

export class DriftDto {
  @ApiProperty({ format: 'uuid' }) policyId!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the report was made; null if never',
    example: '2026-11-22T09:00:00.000Z',
  })
  checkedAt!: string | null;
  @ApiProperty({ type: [DestinationDriftDto] }) destinations!: DestinationDriftDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Execution started to repair the drift',
  })
  repairExecutionId!: string | null;

  static from(
    policyId: string,
    report: DriftReport | undefined,
    names: Map<string, string>,
  ): DriftDto {
    return {
      policyId,
      checkedAt: report?.checkedAt.toISOString() ?? null,
      repairExecutionId: report?.repairExecutionId ?? null,
      destinations: (report?.destinations ?? []).map((d) => ({
        registryId: d.destinationRegistryId,
        registry: names.get(d.destinationRegistryId) ?? null,
        missing: d.missing,
        different: d.different,
        extra: d.extra,
        unreadable: d.unreadable,
        attached: d.attached,
        inSync: d.missing + d.different + d.extra + d.unreadable + d.attached === 0,
        samples: d.samples,
      })),
    };
  }
}

export class ReconcileStartedDto {
  @ApiProperty({
    example: 'running',
    description: 'Still running after the synchronous budget; GET the drift later',
  })
  status!: 'running';
}
