import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditLogEntity } from './audit-log.entity.js';
import { AuditRetention } from './audit-retention.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

/**
 * The audit log: routes opt in with @Audited (see audited.decorator.ts), which puts
 * AuditInterceptor on them; global, so that the interceptor finds AuditService from
 * whichever module's routes it is on.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditLogEntity])],
  controllers: [AuditController],
  providers: [AuditService, AuditRetention],
  exports: [AuditService],
})
export class AuditModule {}
