import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistriesModule } from '../registries/registries.module.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { PreheatEntity } from './preheat.entity.js';
import { PreheatMetrics } from './preheat-metrics.js';
import { PreheatRunner } from './preheat-runner.js';
import { PreheatStore } from './preheat-store.js';
import { PreheatsController } from './preheats.controller.js';
import { PreheatsService } from './preheats.service.js';

/**
 * Dragonfly preheat: after an execution delivered images to a registry that names a
 * Dragonfly manager, asks the manager to preheat them, and records the outcome.
 */
@Module({
  imports: [TypeOrmModule.forFeature([PreheatEntity]), RegistriesModule, ReplicationModule],
  controllers: [PreheatsController],
  providers: [PreheatStore, PreheatMetrics, PreheatRunner, PreheatsService],
})
export class PreheatModule {}
