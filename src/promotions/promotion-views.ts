import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { RegistriesService } from '../registries/registries.service.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import type { GateResultDto, PlaceDto, PromotionDto } from './dto/promotion.dto.js';
import type { GateRecord } from './gates/gate-types.js';
import { PipelineEntity } from './pipeline.entity.js';
import type { PromotionEntity } from './promotion.entity.js';
import { PromotionStore } from './promotion-store.js';

/** Promotions as the API shows them, each saying in words where it stands. */
@Injectable()
export class PromotionViews {
  constructor(
    private readonly store: PromotionStore,
    private readonly registries: RegistriesService,
    @InjectRepository(PipelineEntity) private readonly pipelines: Repository<PipelineEntity>,
  ) {}

  async byId(id: string): Promise<PromotionDto> {
    return this.one(await this.store.get(id));
  }

  async one(p: PromotionEntity): Promise<PromotionDto> {
    return (await this.many([p]))[0]!;
  }

  async many(rows: PromotionEntity[]): Promise<PromotionDto[]> {
    const [registries, decisions, pipelines, turns] = await Promise.all([
      this.registries.getMany(rows.flatMap((r) => [r.sourceRegistryId, r.destinationRegistryId])),
      this.store.decisionsOf(rows.map((r) => r.id)),
      this.pipelines.find({ where: { id: In([...new Set(rows.map((r) => r.pipelineId))]) } }),
      this.turns(rows),
    ]);
    const names = new Map(pipelines.map((p) => [p.id, p.name]));
    return rows.map((p) => ({
      id: p.id,
      pipelineId: p.pipelineId,
      pipeline: names.get(p.pipelineId) ?? '',
      kind: p.kind,
      status: p.status,
      message: messageOf(p, turns.get(p.id)),
      repository: p.repository,
      digest: p.digest,
      tag: p.tag,
      requestedTag: p.requestedTag,
      previousDigest: p.previousDigest,
      from: place(p.sourceStageName, p.sourceRegistryId, registries, p.sourceRepository),
      to: place(p.stageName, p.destinationRegistryId, registries, p.destinationRepository),
      gates: gateViews(p.gates),
      decisions: decisions
        .filter((d) => d.promotionId === p.id)
        .map((d) => ({
          name: d.name,
          role: d.role,
          decision: d.decision,
          comment: d.comment,
          at: d.decidedAt.toISOString(),
        })),
      requestedBy: p.requestedBy,
      reason: p.reason,
      forced: p.forced,
      forceReason: p.forceReason,
      executionId: p.executionId,
      bytesMoved: p.bytesMoved,
      leaves: p.leaves,
      createdAt: p.createdAt.toISOString(),
      queuedAt: p.queuedAt?.toISOString() ?? null,
      startedAt: p.startedAt?.toISOString() ?? null,
      endedAt: p.endedAt?.toISOString() ?? null,
    }));
  }

  /** For queued promotions: what is ahead of them in their stage. */
  private async turns(rows: PromotionEntity[]): Promise<Map<string, PromotionEntity[]>> {
    const result = new Map<string, PromotionEntity[]>();
    const stages = [...new Set(rows.filter((r) => r.status === 'queued').map((r) => r.stageId!))];
    for (const stageId of stages) {
      const open = await this.store.openInto(stageId);
      for (const r of rows.filter((x) => x.stageId === stageId && x.status === 'queued'))
        result.set(
          r.id,
          open.filter((o) => o.status === 'running' || (o.status === 'queued' && o.seq < r.seq)),
        );
    }
    return result;
  }
}

export function place(
  stage: string,
  registryId: string,
  registries: Map<string, RegistryEntity>,
  repository: string,
): PlaceDto {
  return { stage, registryId, registry: registries.get(registryId)?.name ?? null, repository };
}

export function gateViews(records: GateRecord[]): GateResultDto[] {
  return records.map((r) => ({
    type: r.type,
    status: r.status,
    reason: r.reason,
    evidence: r.evidence,
    config: r.config,
    evaluatedAt: r.evaluatedAt,
    nextCheckAt: r.nextCheckAt,
  }));
}

function messageOf(p: PromotionEntity, ahead: PromotionEntity[] | undefined): string {
  switch (p.status) {
    case 'waiting': {
      const pending = p.gates.filter((g) => g.status === 'pending');
      return pending.length
        ? `waiting for ${pending.map((g) => `${g.type} (${g.reason})`).join('; ')}`
        : 'waiting for its gates to be evaluated';
    }
    case 'queued': {
      if (!ahead?.length) return `gates passed; next to copy into stage ${p.stageName}`;
      const running = ahead.find((a) => a.status === 'running');
      return (
        `gates passed; waiting for its turn in stage ${p.stageName} (one promotion copies at a time): ` +
        (running ? `promotion ${running.id} is copying` : 'none copying now') +
        (ahead.length - (running ? 1 : 0) > 0
          ? `, ${ahead.length - (running ? 1 : 0)} queued before it`
          : '')
      );
    }
    case 'running':
      return `copying ${p.digest} into stage ${p.stageName}${p.executionId ? ` (execution ${p.executionId})` : ''}`;
    default:
      return p.message ?? p.status;
  }
}
