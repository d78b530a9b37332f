import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Role } from './api-token.entity.js';

/** Who is calling: the API token that authenticated the request. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export type AuthenticatedRequest = Request & { principal?: Principal };

/** Injects the request's Principal into a handler parameter. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) =>
    ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
