import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../observability/metrics.service.js';
import type { Role } from './api-token.entity.js';
import { ApiTokenService } from './api-token.service.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';
import { EventStreamLimits } from './event-stream-limits.js';
import { FailedAuthLimiter, tooManyFailures } from './failed-auth-limiter.js';
import type { AuthenticatedRequest } from './principal.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every route needs `Authorization: Bearer <token>` unless marked @Public().
 * Reads need the viewer role, writes operator, unless @RequireRole says otherwise.
 * A client address that sent REGRELAY_AUTH_FAILURES_PER_MINUTE unknown tokens within
 * a minute gets 429 for the rest of that minute, whatever it sends. An @Sse() route is
 * admitted by EventStreamLimits last, once everything else has passed.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly limiter: FailedAuthLimiter;
  private readonly failures;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenService,
    private readonly streams: EventStreamLimits,
    config: AppConfig,
    metrics: MetricsService,
  ) {
    this.limiter = new FailedAuthLimiter(config.authFailuresPerMinute);
    this.failures = metrics.counter({
      name: 'regrelay_api_auth_failures_total',
      help: 'API requests refused for their token: invalid (unknown, revoked, expired) or rate_limited (too many invalid ones from the address).',
      labelNames: ['reason'],
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="regrelay"');
      throw new UnauthorizedException('Missing API token: send "Authorization: Bearer <token>"');
    }
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const retryAfter = this.limiter.retryAfterSeconds(address);
    if (retryAfter > 0) {
      this.failures.inc({ reason: 'rate_limited' });
      tooManyFailures(
        response,
        retryAfter,
        `Too many requests with invalid API tokens from ${address}; try again in ${retryAfter} s`,
      );
    }
    const principal = await this.tokens.authenticate(token);
    if (!principal) {
      this.limiter.recordFailure(address);
      this.failures.inc({ reason: 'invalid' });
      response.setHeader('WWW-Authenticate', 'Bearer realm="regrelay", error="invalid_token"');
      throw new UnauthorizedException('Unknown, revoked or expired API token');
    }
    request.principal = principal;

    const required =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ??
      (READ_METHODS.has(request.method) ? 'viewer' : 'operator');
    if (RANK[principal.role] < RANK[required]) {
      throw new ForbiddenException(
        `This needs the ${required} role; token "${principal.name}" is ${principal.role}`,
      );
    }
    if (this.reflector.get<boolean>(SSE_METADATA, context.getHandler()))
      this.streams.admit(principal.tokenId, response);
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
