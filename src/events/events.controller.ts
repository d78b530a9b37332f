import { Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiPayloadTooLargeResponse,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { DISTRIBUTION_CONTENT_TYPES } from './distribution-envelope.js';
import {
  DISTRIBUTION_ENVELOPE_SCHEMA,
  HARBOR_PAYLOAD_SCHEMA,
  WebhookReceiptDto,
} from './dto/webhook.dto.js';
import { EventIntake } from './event-intake.js';
import { HARBOR_CONTENT_TYPES } from './harbor-payload.js';
import { RawBody, WebhookAuthGuard, WebhookRegistry } from './webhook-auth.guard.js';
import { EVENTS_ROUTE } from './webhook-routes.js';

/** The OpenAPI security scheme of webhook routes (declared in openapi.ts). */
export const WEBHOOK_SECURITY = 'webhook';

/**
 * Registry notifications. No API token: the registry's webhook secret authenticates
 * the request and names the registry. Answered 202 once stored.
 */
@ApiTags('events')
@ApiSecurity(WEBHOOK_SECURITY)
@Public()
@UseGuards(WebhookAuthGuard)
@ApiUnauthorizedResponse({ description: 'No webhook secret, or one no registry has' })
@ApiBadRequestResponse({ description: 'Malformed or unknown payload: the field and the reason' })
@ApiPayloadTooLargeResponse({ description: 'Body over 1 MiB' })
@ApiUnsupportedMediaTypeResponse({ description: 'A content type this route does not read' })
@Controller(EVENTS_ROUTE)
export class EventsController {
  constructor(private readonly intake: EventIntake) {}

  @Post('distribution')
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Receive a CNCF distribution notification envelope (authenticated by the registry's webhook secret)",
  })
  @ApiConsumes(...DISTRIBUTION_CONTENT_TYPES)
  @ApiBody({ schema: DISTRIBUTION_ENVELOPE_SCHEMA })
  @ApiAcceptedResponse({ type: WebhookReceiptDto })
  distribution(
    @WebhookRegistry() registry: RegistryEntity,
    @Headers('content-type') contentType: string | undefined,
    @RawBody() body: Buffer,
  ): Promise<WebhookReceiptDto> {
    return this.intake.receive(registry, 'distribution', contentType, body);
  }

  @Post('harbor')
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Receive a Harbor webhook payload, Default format (authenticated by the registry's webhook secret)",
  })
  @ApiConsumes(...HARBOR_CONTENT_TYPES)
  @ApiBody({ schema: HARBOR_PAYLOAD_SCHEMA })
  @ApiAcceptedResponse({ type: WebhookReceiptDto })
  harbor(
    @WebhookRegistry() registry: RegistryEntity,
    @Headers('content-type') contentType: string | undefined,
    @RawBody() body: Buffer,
  ): Promise<WebhookReceiptDto> {
    return this.intake.receive(registry, 'harbor', contentType, body);
  }
}
