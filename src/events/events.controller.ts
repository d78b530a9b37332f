import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { ACR_CONTENT_TYPES } from './acr-payload.js';
import { DISTRIBUTION_CONTENT_TYPES } from './distribution-envelope.js';
import {
  ACR_PAYLOAD_SCHEMA,
  DISTRIBUTION_ENVELOPE_SCHEMA,
  HARBOR_CLOUDEVENT_EXAMPLE,
  HARBOR_PAYLOAD_SCHEMA,
  HARBOR_WEBHOOK_SCHEMA,
  WebhookReceiptDto,
} from './dto/webhook.dto.js';
import { EventIntake } from './event-intake.js';
import { HARBOR_CONTENT_TYPES } from './harbor-payload.js';
import {
  RawBody,
  WebhookAuthGuard,
  WebhookRegistry,
  WebhookSecretInQuery,
} from './webhook-auth.guard.js';
import { EVENTS_ROUTE } from './webhook-routes.js';

/** The OpenAPI security scheme of webhook routes (declared in openapi.ts). */
export const WEBHOOK_SECURITY = 'webhook';

/**
 * Registry notifications. No API token: the registry's webhook secret authenticates
 * the request and names the registry. Answered 202 once stored, also when some or all
 * of the events are unusable (stored as rejected): a registry redelivers whatever it
 * gets a 4xx for.
 */
@ApiTags('events')
@Public()
@UseGuards(WebhookAuthGuard)
@ApiUnauthorizedResponse({ description: 'No webhook secret, or one no registry has' })
@ApiBadRequestResponse({ description: 'The body is not JSON at all' })
@ApiPayloadTooLargeResponse({ description: 'Body over 1 MiB' })
@Controller(EVENTS_ROUTE)
export class EventsController {
  constructor(private readonly intake: EventIntake) {}

  @Post('distribution')
  @HttpCode(202)
  @ApiSecurity(WEBHOOK_SECURITY)
  @ApiOperation({
    summary:
      "Receive a CNCF distribution notification envelope (authenticated by the registry's webhook secret)",
  })
  @ApiConsumes(...DISTRIBUTION_CONTENT_TYPES)
  @ApiBody({ schema: DISTRIBUTION_ENVELOPE_SCHEMA })
  @ApiAcceptedResponse({ type: WebhookReceiptDto })
  distribution(
    @WebhookRegistry() registry: RegistryEntity,
    @RawBody() body: Buffer,
  ): Promise<WebhookReceiptDto> {
    return this.intake.receive(registry, 'distribution', body);
  }

  @Post('harbor')
  @HttpCode(202)
  @ApiSecurity(WEBHOOK_SECURITY)
  @ApiOperation({
    summary:
      "Receive a Harbor webhook, Default or CloudEvents payload format (authenticated by the registry's webhook secret)",
  })
  @ApiConsumes(...HARBOR_CONTENT_TYPES)
  @ApiBody({
    schema: HARBOR_WEBHOOK_SCHEMA,
    examples: {
      Default: { value: HARBOR_PAYLOAD_SCHEMA.example },
      CloudEvents: { value: HARBOR_CLOUDEVENT_EXAMPLE },
    },
  })
  @ApiAcceptedResponse({ type: WebhookReceiptDto })
  harbor(
    @WebhookRegistry() registry: RegistryEntity,
    @RawBody() body: Buffer,
  ): Promise<WebhookReceiptDto> {
    return this.intake.receive(registry, 'harbor', body);
  }

  @Post('acr')
  @HttpCode(202)
  @WebhookSecretInQuery()
  @ApiOperation({
    summary:
      "Receive an Alibaba Cloud Container Registry trigger notification (the registry's webhook secret in the `secret` query parameter)",
    description:
      'ACR cannot send headers, so the secret travels in the URL: the trigger URL is a credential. ' +
      "Timestamps are read in the registry's `timezone`.",
  })
  @ApiQuery({
    name: 'secret',
    required: true,
    description: "The registry's webhook secret (kept out of regrelay's logs)",
    example: 'rrwh_3q2-7wY0uB4hN1kVx9cE5mZtR8aLs6dPfGjHoQiUeWy',
  })
  @ApiConsumes(...ACR_CONTENT_TYPES)
  @ApiBody({ schema: ACR_PAYLOAD_SCHEMA })
  @ApiAcceptedResponse({ type: WebhookReceiptDto })
  acr(
    @WebhookRegistry() registry: RegistryEntity,
    @RawBody() body: Buffer,
  ): Promise<WebhookReceiptDto> {
    return this.intake.receive(registry, 'acr', body);
  }
}
