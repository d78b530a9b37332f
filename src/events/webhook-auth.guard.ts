import {
  createParamDecorator,
  Injectable,
  Logger,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { tooManyFailures } from '../auth/failed-auth-limiter.js';
import { redactedUrl } from '../observability/redacted-url.js';
import { RegistriesService } from '../registries/registries.service.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { webhookSecretFromHeader, webhookSecretFromQuery } from '../registries/webhook-secret.js';
import { WebhookAuthLimits } from './webhook-auth-limits.js';

const SECRET_IN_QUERY = 'regrelay:webhook-secret-in-query';

/**
 * The route also takes the secret from its `secret` query parameter, for registries
 * whose webhooks cannot send headers (ACR). Only such routes: a secret in a URL ends
 * up in proxies' access logs, so no other route invites it.
 */
export const WebhookSecretInQuery = () => SetMetadata(SECRET_IN_QUERY, true);

/** A webhook request once its secret has named the registry it comes from. */
export interface WebhookRequest extends Request {
  webhookRegistry?: RegistryEntity;
}

/**
 * Webhook routes authenticate with a registry's own webhook secret, not an API
 * token: `Authorization: Bearer <secret>` (distribution) or `Authorization: <secret>`
 * (Harbor's "auth header", sent verbatim), or `?secret=<secret>` on routes marked
 * WebhookSecretInQuery (ACR). The secret also says which registry the events come
 * from; nothing in the payload does. It is found by its lookup key and compared with
 * the sealed secret in constant time (RegistriesService.findByWebhookSecret).
 *
 * As with API tokens, an address that sent REGRELAY_AUTH_FAILURES_PER_MINUTE unknown
 * secrets within a minute gets 429 for the rest of that minute, whatever it sends
 * (no oracle for guesses); see WebhookAuthLimits.
 */
@Injectable()
export class WebhookAuthGuard implements CanActivate {
  private readonly logger = new Logger(WebhookAuthGuard.name);

  constructor(
    private readonly registries: RegistriesService,
    private readonly reflector: Reflector,
    private readonly limits: WebhookAuthLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<WebhookRequest>();
    const inQuery = this.reflector.get<boolean>(SECRET_IN_QUERY, context.getHandler()) === true;
    const secret =
      webhookSecretFromHeader(request.headers.authorization) ??
      (inQuery ? webhookSecretFromQuery(request.query.secret) : undefined);
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const retryAfter = secret ? this.limits.limiter.retryAfterSeconds(address) : 0;
    if (retryAfter > 0) {
      this.limits.refused('rate_limited');
      tooManyFailures(
        http.getResponse<Response>(),
        retryAfter,
        `Too many webhooks with unknown secrets from ${address}; try again in ${retryAfter} s`,
      );
    }
    const registry = secret ? await this.registries.findByWebhookSecret(secret) : undefined;
    if (!registry) {
      if (secret) {
        this.limits.limiter.recordFailure(address);
        this.limits.refused('invalid');
      }
      // The secret itself is never logged: a wrong secret may be a right one for elsewhere.
      this.logger.warn(
        {
          url: redactedUrl(request.originalUrl),
          remoteAddress: request.ip,
          sent: secret ? 'unknown' : 'none',
        },
        'Webhook refused: no registry has this webhook secret',
      );
      http
        .getResponse<Response>()
        .setHeader('WWW-Authenticate', 'Bearer realm="regrelay-webhooks"');
      throw new UnauthorizedException(
        secret
          ? 'Unknown webhook secret: send the secret regrelay gave this registry (rotate it if lost)'
          : inQuery
            ? 'Missing webhook secret: add "?secret=<webhook secret>" to the URL'
            : 'Missing webhook secret: send "Authorization: Bearer <webhook secret>"',
      );
    }
    request.webhookRegistry = registry;
    return true;
  }
}

/** The registry WebhookAuthGuard authenticated. */
export const WebhookRegistry = createParamDecorator(
  (_: unknown, context: ExecutionContext): RegistryEntity => {
    const registry = context.switchToHttp().getRequest<WebhookRequest>().webhookRegistry;
    if (!registry) throw new Error('WebhookRegistry used on a route without WebhookAuthGuard');
    return registry;
  },
);

/** The body as bytes, read by webhookBodyReader (empty when there was none). */
export const RawBody = createParamDecorator((_: unknown, context: ExecutionContext): Buffer => {
  const body: unknown = context.switchToHttp().getRequest<Request>().body;
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
});
