import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module.js';
import { RegistriesModule } from '../registries/registries.module.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { AutoPromoter } from './auto-promoter.js';
import { Clock } from './clock.js';
import { DryRunPlanner } from './dry-run-planner.js';
import { GateRunner } from './gate-runner.js';
import { PipelineState } from './pipeline-state.js';
import { PipelineEntity, StageEntity } from './pipeline.entity.js';
import { PipelinesController } from './pipelines.controller.js';
import { PipelinesService } from './pipelines.service.js';
import { PromotionDecisions } from './promotion-decisions.js';
import { PromotionMetrics } from './promotion-metrics.js';
import { PromotionRequests } from './promotion-requests.js';
import { PromotionRollbacks } from './promotion-rollbacks.js';
import { PromotionRunner } from './promotion-runner.js';
import { PromotionScheduler } from './promotion-scheduler.js';
import { PromotionStore } from './promotion-store.js';
import { PromotionViews } from './promotion-views.js';
import { PromotionDecisionEntity, PromotionEntity } from './promotion.entity.js';
import { PromotionsController } from './promotions.controller.js';
import { StageLeaves } from './stage-leaves.js';
import { StageOwner } from './stage-owner.js';
import { StageStateStore } from './stage-state-store.js';

/**
 * Promotion pipelines: a digest moves stage by stage (dev → test → staging → prod)
 * through gates with evidence, one promotion per stage at a time, with history,
 * rollback and auto-promotion. Copies run on the replication engine, owned by the
 * stage they go into. See docs/promotions.md.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      PipelineEntity,
      StageEntity,
      PromotionEntity,
      PromotionDecisionEntity,
    ]),
    RegistriesModule,
    ReplicationModule,
    EventsModule,
  ],
  controllers: [PipelinesController, PromotionsController],
  providers: [
    Clock,
    PipelinesService,
    PromotionStore,
    PromotionViews,
    PromotionMetrics,
    GateRunner,
    DryRunPlanner,
    StageLeaves,
    StageOwner,
    PromotionRunner,
    PromotionScheduler,
    PromotionRequests,
    PromotionDecisions,
    PromotionRollbacks,
    PipelineState,
    StageStateStore,
    AutoPromoter,
  ],
  exports: [StageLeaves, PipelinesService],
})
export class PromotionsModule {}
