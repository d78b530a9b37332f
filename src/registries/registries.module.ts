import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistriesController } from './registries.controller.js';
import { RegistriesService } from './registries.service.js';
import { RegistryClients } from './registry-clients.js';
import { ReplicationGraph } from './replication-graph.js';
import { RegistryEntity } from './registry.entity.js';
import { RegistryPinger } from './registry-pinger.js';

@Module({
  imports: [TypeOrmModule.forFeature([RegistryEntity])],
  controllers: [RegistriesController],
  providers: [RegistriesService, RegistryClients, RegistryPinger, ReplicationGraph],
  exports: [RegistriesService, RegistryClients, ReplicationGraph],
})
export class RegistriesModule {}
