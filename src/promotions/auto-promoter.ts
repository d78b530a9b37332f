import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Subscription } from 'rxjs';
import type { Repository } from 'typeorm';
import { describeError } from '../common/describe-error.js';
import { RegistryPushes, type RegistryPush } from '../events/registry-pushes.js';
import { orderedStages, pipelineRepository, PipelineEntity } from './pipeline.entity.js';
import type { PromotionEntity } from './promotion.entity.js';
import { PromotionRequests } from './promotion-requests.js';
import { PromotionRunner } from './promotion-runner.js';
import { PromotionStore } from './promotion-store.js';

/** Who auto-promotions are requested by, in history. */
export const AUTO_REQUESTER = { tokenId: null, name: 'auto-promotion', role: 'operator' as const };

/**
 * Auto-promotion: when a digest arrives in a stage — promoted there, or pushed there
 * as the registry's webhook reports — and the next stage has `autoPromote`, a
 * promotion into it is requested at once (its gates still decide), unless a
 * rollback holds auto-promotion into that stage for the repository.
 */
@Injectable()
export class AutoPromoter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AutoPromoter.name);
  private readonly subscription = new Subscription();

  constructor(
    private readonly requests: PromotionRequests,
    private readonly runner: PromotionRunner,
    private readonly store: PromotionStore,
    private readonly pushes: RegistryPushes,
    @InjectRepository(PipelineEntity) private readonly pipelines: Repository<PipelineEntity>,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription.add(
      this.runner.arrivals$.subscribe(({ promotion }) => void this.guard(this.promoted(promotion))),
    );
    this.subscription.add(
      this.pushes.pushes$.subscribe((push) => void this.guard(this.pushed(push))),
    );
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  private async promoted(p: PromotionEntity): Promise<void> {
    if (!p.tag || !p.stageId || p.kind === 'rollback') return;
    const pipeline = await this.pipelines.findOne({ where: { id: p.pipelineId } });
    if (pipeline)
      await this.next(
        p.endedAt ?? new Date(),
        pipeline,
        p.stageId,
        p.repository,
        p.digest,
        p.tag,
        `arrived by promotion ${p.id}`,
      );
  }

  /** A push reported by a stage's registry: the digest arrived there. */
  private async pushed(push: RegistryPush): Promise<void> {
    const pipelines = await this.pipelines.find();
    for (const pipeline of pipelines) {
      for (const stage of pipeline.stages) {
        if (stage.registryId !== push.registryId) continue;
        const repository = pipelineRepository(stage, push.repository);
        if (!repository) continue;
        await this.store.recordArrival(
          stage.id,
          repository,
          push.digest,
          'event',
          push.occurredAt,
          null,
        );
        await this.next(
          push.occurredAt,
          pipeline,
          stage.id,
          repository,
          push.digest,
          push.tag,
          'pushed (registry event)',
        );
      }
    }
  }

  private async next(
    arrivedAt: Date,
    pipeline: PipelineEntity,
    stageId: string,
    repository: string,
    digest: string,
    tag: string,
    how: string,
  ): Promise<void> {
    const stages = orderedStages(pipeline);
    const next = stages[stages.findIndex((s) => s.id === stageId) + 1];
    if (!next?.autoPromote) return;
    if (await this.store.heldAt(next.id, repository, arrivedAt)) {
      this.logger.log(
        { pipeline: pipeline.name, stage: next.name, repository, digest },
        `Auto-promotion into ${next.name} is held by rollback; release it to resume`,
      );
      return;
    }
    // Once is enough: the same digest under the same tag, already promoted or on its way.
    if (await this.store.promotedOrOpen(next.id, repository, digest, tag)) return;
    await this.requests.promote(
      pipeline.id,
      { repository, digest, tag, toStage: next.name, reason: `auto-promotion: ${digest} ${how}` },
      AUTO_REQUESTER,
      'auto',
    );
  }

  private async guard(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      this.logger.warn({ err: error }, `Auto-promotion not requested: ${describeError(error)}`);
    }
  }
}
