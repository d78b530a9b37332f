import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PoliciesModule } from '../policies/policies.module.js';
import { RegistriesModule } from '../registries/registries.module.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { TagTimes } from '../replication/selection/tag-times.js';
import { EventCoalescer } from './event-coalescer.js';
import { EventInboxController } from './event-inbox.controller.js';
import { EventInboxEntity } from './event-inbox.entity.js';
import { EventInbox } from './event-inbox.js';
import { EventIntake } from './event-intake.js';
import { EventMetrics } from './event-metrics.js';
import { EventsController } from './events.controller.js';
import { RegistryPushes } from './registry-pushes.js';
import { WebhookAuthLimits } from './webhook-auth-limits.js';
import { WebhookAuthGuard } from './webhook-auth.guard.js';

/**
 * Webhook intake (distribution, Harbor, ACR), the event inbox and its listing, and the
 * coalescer that turns stored events into targeted executions of event-triggered policies.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([EventInboxEntity]),
    RegistriesModule,
    PoliciesModule,
    ReplicationModule,
  ],
  controllers: [EventsController, EventInboxController],
  providers: [
    EventInbox,
    EventIntake,
    EventMetrics,
    EventCoalescer,
    WebhookAuthGuard,
    WebhookAuthLimits,
    RegistryPushes,
  ],
  exports: [RegistryPushes],
})
export class EventsModule implements OnModuleInit {
  constructor(
    private readonly inbox: EventInbox,
    private readonly tagTimes: TagTimes,
  ) {}

  /** `latest: N` ranks images whose config has no creation time by their push events. */
  onModuleInit(): void {
    this.tagTimes.registerPushTimes((registryId, repository, tags) =>
      this.inbox.pushTimes(registryId, repository, tags),
    );
  }
}
