import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistriesModule } from '../registries/registries.module.js';
import { ReplicationModule } from '../replication/replication.module.js';
import { Backlog } from './backlog.js';
import { CatchUp } from './catch-up.js';
import { Conflicts } from './conflicts.js';
import { NodeStates } from './node-states.js';
import { PairPlanner } from './pair-planner.js';
import { PushTimes } from './push-times.js';
import { TopologiesController } from './topologies.controller.js';
import { TopologiesService } from './topologies.service.js';
import { TopologyCache } from './topology-cache.js';
import { TopologyEvents } from './topology-events.js';
import { TopologyMetrics } from './topology-metrics.js';
import { TopologyOwner } from './topology-owner.js';
import { TopologyReports } from './topology-reports.js';
import { TopologySchedules } from './topology-schedules.js';
import { TopologyEntity, TopologyNodeEntity } from './topology.entity.js';
import { TreeChain } from './tree-chain.js';
import { TreeSync } from './tree-sync.js';

/**
 * Trees (HQ → province → city) and dual-master pairs, built on the replication
 * engine: they own executions (lanes per tree edge), plan for themselves (the pair's
 * three-way comparison, the tree's anti-entropy), chain a tree's levels on delivery
 * and take the events of their registries.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([TopologyEntity, TopologyNodeEntity]),
    RegistriesModule,
    ReplicationModule,
  ],
  controllers: [TopologiesController],
  providers: [
    TopologiesService,
    TopologyCache,
    TopologyOwner,
    TopologyEvents,
    TopologyMetrics,
    TopologyReports,
    TopologySchedules,
    TreeChain,
    TreeSync,
    PairPlanner,
    Conflicts,
    NodeStates,
    Backlog,
    PushTimes,
    CatchUp,
  ],
})
export class TopologiesModule {}
