import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
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
export class RegistriesModule {}
