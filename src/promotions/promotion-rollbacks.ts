import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import { isDigest, isRepository, isTag } from '../oci/index.js';
import { RegistriesService } from '../registries/registries.service.js';
import { RegistryClients } from '../registries/registry-clients.js';
import type { PromotionDto, ReleaseDto, RollbackDto } from './dto/promotion.dto.js';
import { orderedStages, stageRepository, type StageEntity } from './pipeline.entity.js';
import { PipelinesService } from './pipelines.service.js';
import { immutableTagConflict, isImmutable } from './promotion-rules.js';
import { PromotionScheduler } from './promotion-scheduler.js';
import { PromotionStore } from './promotion-store.js';
import { PromotionViews } from './promotion-views.js';
import { headOrBadGateway } from './registry-asks.js';

/**
 * Rollback re-points a stage's tag to a digest promoted there earlier (by default
 * the one before the current), as a promotion of its own that takes its turn in the
 * stage like any other, and holds auto-promotion into the stage for that repository
 * until released. It copies within the stage (the digest is there already) and has
 * no gates: it is what an operator does when the current digest is bad.
 */
@Injectable()
export class PromotionRollbacks {
  constructor(
    private readonly pipelines: PipelinesService,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly store: PromotionStore,
    private readonly scheduler: PromotionScheduler,
    private readonly views: PromotionViews,
  ) {}

  async rollback(
    pipelineId: string,
    dto: RollbackDto,
    principal: Principal,
  ): Promise<PromotionDto> {
    const pipeline = await this.pipelines.get(pipelineId);
    const stage = this.stageNamed(orderedStages(pipeline), dto.stage, [
      ...(isRepository(dto.repository)
        ? []
        : [{ field: 'repository', reason: 'must be a repository name like team/app' }]),
      ...(isTag(dto.tag)
        ? []
        : [{ field: 'tag', reason: 'must be a tag of 1-128 of [A-Za-z0-9_.-]' }]),
      ...(dto.digest === undefined || isDigest(dto.digest)
        ? []
        : [{ field: 'digest', reason: 'digest must be sha256:<64 hex> or sha512:<128 hex>' }]),
    ]);
    const registry = await this.registries.get(stage.registryId);
    const repository = stageRepository(stage, dto.repository);
    const current = (
      await headOrBadGateway(this.clients.forRegistry(registry), registry.name, repository, dto.tag)
    )?.digest;
    const earlier = await this.store.succeededInto(stage.id, dto.repository);
    const target = dto.digest
      ? earlier.find((p) => p.digest === dto.digest)
      : (earlier.find((p) => p.tag === dto.tag && p.digest !== current) ??
        earlier.find((p) => p.digest !== current));
    if (!target)
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: dto.digest
          ? `${dto.digest} was never promoted into stage ${stage.name} for ${dto.repository}; a rollback goes back to a digest promoted there`
          : `No digest other than the current one (${current ?? 'none'}) was promoted into stage ${stage.name} for ${dto.repository}:${dto.tag}`,
        stage: stage.name,
        tag: dto.tag,
      });
    if (isImmutable(stage, dto.tag) && current && current !== target.digest)
      throw immutableTagConflict(stage.name, dto.tag, current, target.digest);

    const id = randomUUID();
    const created = await this.store.insert({
      id,
      pipelineId: pipeline.id,
      stageId: stage.id,
      stageName: stage.name,
      sourceStageId: stage.id,
      sourceStageName: stage.name,
      kind: 'rollback',
      repository: dto.repository,
      sourceRegistryId: stage.registryId,
      sourceRepository: repository,
      destinationRegistryId: stage.registryId,
      destinationRepository: repository,
      digest: target.digest,
      mediaType: target.mediaType,
      requestedTag: null,
      tag: dto.tag,
      previousDigest: current ?? null,
      requestedByTokenId: principal.tokenId,
      requestedBy: principal.name,
      reason: dto.reason ?? `rollback of ${dto.tag} to ${target.digest}`,
      forced: false,
      forceReason: null,
      immutable: false,
      gates: [],
      status: 'queued',
      queuedAt: new Date(),
    });
    await this.store.hold({
      stageId: stage.id,
      repository: dto.repository,
      promotionId: id,
      heldBy: principal.name,
    });
    await this.scheduler.admitted(created);
    return this.views.one(await this.store.get(id));
  }

  /** Ends a rollback's hold: auto-promotion into the stage resumes for the repository. */
  async release(
    pipelineId: string,
    dto: ReleaseDto,
    principal: Principal,
  ): Promise<{ stage: string; repository: string; released: boolean }> {
    const pipeline = await this.pipelines.get(pipelineId);
    const stage = this.stageNamed(orderedStages(pipeline), dto.stage, []);
    return {
      stage: stage.name,
      repository: dto.repository,
      released: await this.store.release(stage.id, dto.repository, principal.name),
    };
  }

  private stageNamed(stages: StageEntity[], name: string, problems: FieldError[]): StageEntity {
    const stage = stages.find((s) => s.name === name);
    if (!stage)
      problems.unshift({
        field: 'stage',
        reason: `the pipeline has no stage ${name} (stages: ${stages.map((s) => s.name).join(', ')})`,
      });
    if (problems.length) throw new InvalidInputException(problems);
    return stage!;
  }
}
