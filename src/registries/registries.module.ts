import { Logger, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeyRotation } from '../secrets/key-rotation.js';
import { RegistriesController } from './registries.controller.js';
import { RegistriesService } from './registries.service.js';
import { RegistryClients } from './registry-clients.js';
import { RegistryEntity } from './registry.entity.js';
import { RegistryPinger } from './registry-pinger.js';

@Module({
  imports: [TypeOrmModule.forFeature([RegistryEntity])],
  controllers: [RegistriesController],
  providers: [RegistriesService, RegistryClients, RegistryPinger],
  exports: [RegistriesService, RegistryClients],
})
export class RegistriesModule implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Registries');

  constructor(
    private readonly registries: RegistriesService,
    private readonly rotation: KeyRotation,
  ) {}

  onModuleInit(): void {
    this.rotation.register('registries', () => this.registries.resealStaleSecrets());
  }

  async onApplicationBootstrap(): Promise<void> {
    const rekeyed = await this.registries.rekeyLegacyWebhookLookups();
    if (rekeyed) this.logger.log({ rekeyed }, `Re-keyed ${rekeyed} webhook secret lookup value(s)`);
  }
}
