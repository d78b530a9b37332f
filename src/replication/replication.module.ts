import { Module, type OnModuleInit } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PoliciesModule } from '../policies/policies.module.js';
import { RegistriesModule } from '../registries/registries.module.js';
import { RegistriesService } from '../registries/registries.service.js';
import { RegistryClients } from '../registries/registry-clients.js';
import { ArtifactCopier } from './copy/artifact-copier.js';
import { TagDeleter } from './copy/tag-deleter.js';
import { AttachedDeleter } from './copy/attached-deleter.js';
import { SourceTagListings } from './tasks/source-tag-listings.js';
import { TagTimes } from './selection/tag-times.js';
import { EventBus } from './event-bus.js';
import { InstanceId } from './instance-id.js';
import { ExecutionEntity } from './executions/execution.entity.js';
import { ExecutionFinisher } from './executions/execution-finisher.js';
import { ExecutionRunner } from './executions/execution-runner.js';
import { ExecutionStream } from './executions/execution-stream.js';
import { ExecutionsController } from './executions/executions.controller.js';
import { ExecutionsService } from './executions/executions.service.js';
import { RetentionPruner } from './executions/retention-pruner.js';
import { LedgerEntity } from './ledger/ledger.entity.js';
import { LedgerService } from './ledger/ledger.service.js';
import { Planner } from './planning/planner.js';
import { ReplicationMetrics } from './replication-metrics.js';
import { CopiesController } from './copies/copies.controller.js';
import { CopiesService } from './copies/copies.service.js';
import { ExecutionOwners } from './owners/execution-owners.js';
import { PolicyOwner } from './owners/policy-owner.js';
import { EventTargets } from './triggers/event-targets.js';
import { DeliveryHooks } from './tasks/delivery-hooks.js';
import { ExecutionReadCache } from './tasks/execution-read-cache.js';
import { ReplicationTaskExecutor } from './tasks/replication-task-executor.js';
import { TaskExecutor } from './tasks/task-executor.js';
import { TaskQueue } from './tasks/task-queue.js';
import { TaskEntity } from './tasks/task.entity.js';
import { Worker } from './tasks/worker.js';
import { PolicySchedules } from './triggers/policy-schedules.js';
import { DriftController } from './reconcile/drift.controller.js';
import { DriftStore } from './reconcile/drift-store.js';
import { Reconciler } from './reconcile/reconciler.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([ExecutionEntity, TaskEntity, LedgerEntity]),
    ScheduleModule.forRoot(),
    RegistriesModule,
    PoliciesModule,
  ],
  controllers: [ExecutionsController, DriftController, CopiesController],
  providers: [
    ExecutionOwners,
    EventTargets,
    PolicyOwner,
    CopiesService,
    EventBus,
    InstanceId,
    ReplicationMetrics,
    ExecutionsService,
    ExecutionFinisher,
    ExecutionRunner,
    ExecutionStream,
    RetentionPruner,
    LedgerService,
    Planner,
    ArtifactCopier,
    TagDeleter,
    AttachedDeleter,
    SourceTagListings,
    TagTimes,
    TaskQueue,
    ExecutionReadCache,
    DeliveryHooks,
    { provide: TaskExecutor, useClass: ReplicationTaskExecutor },
    Worker,
    PolicySchedules,
    Reconciler,
    DriftStore,
  ],
  exports: [
    ExecutionsService,
    ExecutionOwners,
    EventTargets,
    DeliveryHooks,
    ExecutionReadCache,
    LedgerService,
    EventBus,
    InstanceId,
    ReplicationMetrics,
    Planner,
    TagTimes,
  ],
})
export class ReplicationModule implements OnModuleInit {
  constructor(
    private readonly clients: RegistryClients,
    private readonly registries: RegistriesService,
    private readonly metrics: ReplicationMetrics,
    private readonly queue: TaskQueue,
    private readonly drift: DriftStore,
  ) {}

  onModuleInit(): void {
    this.clients.observe({
      onRequest: (e) =>
        this.metrics.registryRequests.inc({
          registry: e.registry,
          method: e.method,
          status: e.status ? String(e.status) : 'error',
        }),
      onRetry: (e) => this.metrics.retries.inc({ reason: e.reason }),
    });
    // A renamed or deleted registry must not live on under its old name in new samples.
    this.registries.onChange((id) => this.metrics.forget(id));
    this.metrics.measureQueueDepth(() => this.queue.depth());
    this.metrics.measureDrift(() => this.drift.outOfSync());
  }
}
