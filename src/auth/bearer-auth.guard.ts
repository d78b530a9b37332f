import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from './api-token.entity.js';
import { ApiTokenService } from './api-token.service.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';
import type { AuthenticatedRequest } from './principal.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every route needs `Authorization: Bearer <token>` unless marked @Public().
 * Reads need the viewer role, writes operator, unless @RequireRole says otherwise.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      context.switchToHttp().getResponse().setHeader('WWW-Authenticate', 'Bearer realm="regrelay"');
      throw new UnauthorizedException('Missing API token: send "Authorization: Bearer <token>"');
    }
    const principal = await this.tokens.authenticate(token);
    if (!principal) {
      context
        .switchToHttp()
        .getResponse()
        .setHeader('WWW-Authenticate', 'Bearer realm="regrelay", error="invalid_token"');
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
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
