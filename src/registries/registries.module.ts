import { Logger, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeyRotation } from '../secrets/key-rotation.js';
import { RegistriesController } from './registries.controller.js';
import { RegistriesService } from './registries.service.js';
import { RegistryClients } from './registry-clients.js';
import { ReplicationGraph } from './replication-graph.js';
import { RegistryEntity } from './registry.entity.js';
import { RegistryPinger } from './registry-pinger.js';
import { RegistrySecretUpkeep } from './registry-secret-upkeep.js';

@Module({
  imports: [TypeOrmModule.forFeature([RegistryEntity])],
  controllers: [RegistriesController],
  providers: [
    RegistriesService,
    RegistryClients,
    RegistryPinger,
    ReplicationGraph,
    RegistrySecretUpkeep,
  ],
  exports: [RegistriesService, RegistryClients, ReplicationGraph],
})
export class RegistriesModule implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Registries');

  constructor(
    private readonly upkeep: RegistrySecretUpkeep,
    private readonly rotation: KeyRotation,
  ) {}

  onModuleInit(): void {
    this.rotation.register('registries', () => this.upkeep.resealStaleSecrets());
  }

  async onApplicationBootstrap(): Promise<void> {
    const rekeyed = await this.upkeep.rekeyLegacyWebhookLookups();
    if (rekeyed) this.logger.log({ rekeyed }, `Re-keyed ${rekeyed} webhook secret lookup value(s)`);
  }
}
