import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminTokenBootstrap } from './admin-token-bootstrap.js';
import { ApiTokenEntity } from './api-token.entity.js';
import { ApiTokenService } from './api-token.service.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { EventStreamLimits } from './event-stream-limits.js';
import { TokensController } from './tokens.controller.js';
import { WhoAmIController } from './whoami.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([ApiTokenEntity])],
  controllers: [TokensController, WhoAmIController],
  providers: [
    ApiTokenService,
    AdminTokenBootstrap,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    EventStreamLimits,
  ],
  exports: [ApiTokenService],
})
export class AuthModule {}
