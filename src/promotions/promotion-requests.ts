import { randomUUID } from 'node:crypto';
import { ForbiddenException, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import { isDigest, isRepository, isTag } from '../oci/index.js';
import { RegistriesService } from '../registries/registries.service.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { RegistryClients } from '../registries/registry-clients.js';
import { Clock } from './clock.js';
import { DryRunPlanner } from './dry-run-planner.js';
import type { CreatePromotionDto, DryRunDto, PromotionDto } from './dto/promotion.dto.js';
import { GateRunner } from './gate-runner.js';
import { pendingRecord } from './gates/gate-types.js';
import {
  orderedStages,
  stageRepository,
  type PipelineEntity,
  type StageEntity,
} from './pipeline.entity.js';
import { PipelinesService } from './pipelines.service.js';
import type { PromotionEntity, PromotionKind } from './promotion.entity.js';
import { immutableTagConflict, isImmutable, missingFromStage } from './promotion-rules.js';
import { PromotionScheduler } from './promotion-scheduler.js';
import { PromotionStore } from './promotion-store.js';
import { PromotionViews, gateViews, place } from './promotion-views.js';
import { headOrBadGateway } from './registry-asks.js';

/** Who asked: a token, or regrelay itself (auto-promotion). */
export type Requester = Pick<Principal, 'name' | 'role'> & { tokenId: string | null };

interface Resolved {
  source: StageEntity;
  sourceRegistry: RegistryEntity;
  digest: string;
  mediaType: string;
}

/**
 * Promotion requests: checks the request, resolves a tag to its digest once, applies
 * the rules (the previous stage must hold the digest unless an admin forces it with a
 * reason; immutable tags are never re-pointed), records the promotion with its gates
 * and lets the scheduler evaluate and queue it. A dry run answers what would happen.
 */
@Injectable()
export class PromotionRequests {
  constructor(
    private readonly pipelines: PipelinesService,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly store: PromotionStore,
    private readonly gates: GateRunner,
    private readonly planner: DryRunPlanner,
    private readonly scheduler: PromotionScheduler,
    private readonly views: PromotionViews,
    private readonly clock: Clock,
  ) {}

  async promote(
    pipelineId: string,
    dto: CreatePromotionDto,
    requester: Requester,
    kind: PromotionKind = 'promote',
  ): Promise<PromotionDto | DryRunDto> {
    const pipeline = await this.pipelines.get(pipelineId);
    const stages = orderedStages(pipeline);
    const index = stages.findIndex((s) => s.name === dto.toStage);
    const problems = checkRequest(dto, stages, index);
    if (problems.length) throw new InvalidInputException(problems);
    if (dto.force && requester.role !== 'admin')
      throw new ForbiddenException(
        `Forcing a promotion past a stage needs the admin role; token "${requester.name}" is ${requester.role}`,
      );
    const target = stages[index]!;
    const registries = await this.registries.getMany(stages.map((s) => s.registryId));
    const resolved = await this.resolve(dto, stages, index, registries);
    const tag = dto.targetTag ?? dto.tag ?? null;
    const destination = registries.get(target.registryId)!;
    const destinationRepository = stageRepository(target, dto.repository);
    const previousDigest = tag
      ? ((
          await headOrBadGateway(
            this.clients.forRegistry(destination),
            destination.name,
            destinationRepository,
            tag,
          )
        )?.digest ?? null)
      : null;
    const immutable = isImmutable(target, tag);
    if (immutable && previousDigest && previousDigest !== resolved.digest)
      throw immutableTagConflict(target.name, tag!, previousDigest, resolved.digest);

    const row: Partial<PromotionEntity> = {
      id: randomUUID(),
      pipelineId: pipeline.id,
      stageId: target.id,
      stageName: target.name,
      sourceStageId: resolved.source.id,
      sourceStageName: resolved.source.name,
      kind,
      repository: dto.repository,
      sourceRegistryId: resolved.source.registryId,
      sourceRepository: stageRepository(resolved.source, dto.repository),
      destinationRegistryId: target.registryId,
      destinationRepository,
      digest: resolved.digest,
      mediaType: resolved.mediaType,
      requestedTag: dto.digest ? null : (dto.tag ?? null),
      tag,
      previousDigest,
      requestedByTokenId: requester.tokenId,
      requestedBy: requester.name,
      reason: dto.reason ?? null,
      forced: resolved.source.id !== stages[index - 1]!.id,
      forceReason: resolved.source.id !== stages[index - 1]!.id ? (dto.forceReason ?? null) : null,
      immutable,
      gates: target.gates.map(pendingRecord),
    };
    if (dto.dryRun) return this.dryRun(pipeline, row, registries);

    await this.store.recordArrival(
      resolved.source.id,
      dto.repository,
      resolved.digest,
      'observed',
      null,
      null,
    );
    const created = await this.store.insert({
      ...row,
      status: target.gates.length ? 'waiting' : 'queued',
      queuedAt: target.gates.length ? null : new Date(),
      // Evaluated by this request before it answers; the lease keeps the scheduler off it.
      nextEvaluationAt: null,
      ...(target.gates.length ? this.scheduler.leaseForRequest() : {}),
    });
    await this.scheduler.admitted(created);
    return this.views.one(await this.store.get(created.id));
  }

  private async dryRun(
    pipeline: PipelineEntity,
    row: Partial<PromotionEntity>,
    registries: Map<string, RegistryEntity>,
  ): Promise<DryRunDto> {
    const subject = { ...(row as PromotionEntity), id: null, createdAt: this.clock.now() };
    const [verdict, plan] = await Promise.all([
      this.gates.run(subject, pipeline.name, { dryRun: true }),
      this.planner.plan(
        this.clients.forRegistry(registries.get(row.sourceRegistryId!)!),
        row.sourceRepository!,
        this.clients.forRegistry(registries.get(row.destinationRegistryId!)!),
        row.destinationRepository!,
        row.digest!,
      ),
    ]);
    const stages = new Map(pipeline.stages.map((s) => [s.id, s]));
    const status =
      verdict.status === 'passed'
        ? 'would-promote'
        : verdict.status === 'refused'
          ? 'refused'
          : 'would-wait';
    const why = verdict.records
      .filter((r) => r.status !== 'passed')
      .map((r) => `${r.type}: ${r.reason}`);
    return {
      dryRun: true,
      status,
      message:
        status === 'would-promote'
          ? `would promote: ${plan.retag ? 'the stage holds the digest; only the tag is written' : `${plan.manifests} manifests, ${plan.blobs} blobs (${plan.bytes} bytes) to copy`}`
          : `${status === 'refused' ? 'would be refused' : 'would wait'}: ${why.join('; ')}`,
      digest: row.digest!,
      tag: row.tag ?? null,
      from: place(
        stages.get(row.sourceStageId!)!.name,
        row.sourceRegistryId!,
        registries,
        row.sourceRepository!,
      ),
      to: place(row.stageName!, row.destinationRegistryId!, registries, row.destinationRepository!),
      gates: gateViews(verdict.records),
      plan,
    };
  }

  /**
   * The digest, found in the previous stage, or (forced) in the nearest earlier stage
   * holding it. A tag is resolved there once; only the digest is used afterwards.
   */
  private async resolve(
    dto: CreatePromotionDto,
    stages: StageEntity[],
    index: number,
    registries: Map<string, RegistryEntity>,
  ): Promise<Resolved> {
    const reference = dto.digest ?? dto.tag!;
    const what = dto.digest ? `Digest ${dto.digest}` : `Tag ${dto.tag}`;
    const previous = stages[index - 1]!;
    const candidates = dto.force ? stages.slice(0, index).reverse() : [previous];
    for (const stage of candidates) {
      const registry = registries.get(stage.registryId)!;
      const found = await headOrBadGateway(
        this.clients.forRegistry(registry),
        registry.name,
        stageRepository(stage, dto.repository),
        reference,
      );
      if (found)
        return {
          source: stage,
          sourceRegistry: registry,
          digest: found.digest,
          mediaType: found.mediaType,
        };
    }
    const where = `registry ${registries.get(previous.registryId)!.name}, repository ${stageRepository(previous, dto.repository)}`;
    if (dto.force)
      throw missingFromStage(
        previous.name,
        where,
        what,
        `nor in any stage before ${stages[index]!.name}; nothing to force`,
      );
    throw missingFromStage(
      previous.name,
      where,
      what,
      `promote it into ${previous.name} first, or have an admin force the skip (force: true with a forceReason)`,
    );
  }
}

function checkRequest(dto: CreatePromotionDto, stages: StageEntity[], index: number): FieldError[] {
  const problems: FieldError[] = [];
  if (index < 0)
    problems.push({
      field: 'toStage',
      reason: `the pipeline has no stage ${dto.toStage} (stages: ${stages.map((s) => s.name).join(', ')})`,
    });
  else if (index === 0)
    problems.push({
      field: 'toStage',
      reason: `${dto.toStage} is the first stage: digests arrive there by push, not by promotion`,
    });
  if (!isRepository(dto.repository))
    problems.push({
      field: 'repository',
      reason: 'must be a repository name like team/app (lowercase)',
    });
  if (dto.digest === undefined && dto.tag === undefined)
    problems.push({
      field: 'digest',
      reason: 'give a digest, or a tag to resolve in the previous stage',
    });
  if (dto.digest !== undefined && !isDigest(dto.digest))
    problems.push({
      field: 'digest',
      reason: 'digest must be sha256:<64 hex> or sha512:<128 hex>',
    });
  for (const field of ['tag', 'targetTag'] as const) {
    const value = dto[field];
    if (value !== undefined && !isTag(value))
      problems.push({
        field,
        reason: 'tag must be 1-128 of [A-Za-z0-9_.-], not starting with "." or "-"',
      });
  }
  if (dto.force && !dto.forceReason?.trim())
    problems.push({
      field: 'forceReason',
      reason: 'a forced promotion must say why (it is recorded)',
    });
  return problems;
}
