import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistriesModule } from '../registries/registries.module.js';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { PolicyPreview } from './policy-preview.js';
import { PolicyDestinationEntity, PolicyEntity } from './policy.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([PolicyEntity, PolicyDestinationEntity]), RegistriesModule],
  controllers: [PoliciesController],
  providers: [PoliciesService, PolicyPreview],
  exports: [PoliciesService],
})
export class PoliciesModule {}
