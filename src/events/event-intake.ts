import { Injectable, Logger, UnsupportedMediaTypeException } from '@nestjs/common';
import { InvalidInputException } from '../common/validation.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { EventBus } from '../replication/event-bus.js';
import { parseDistributionEnvelope } from './distribution-envelope.js';
import type { WebhookReceiptDto } from './dto/webhook.dto.js';
import { EventInbox } from './event-inbox.js';
import { EventMetrics } from './event-metrics.js';
import { parseHarborPayload } from './harbor-payload.js';
import { WebhookPayloadError, type ParsedWebhook, type WebhookFormat } from './inbox-event.js';

const PARSERS: Record<
  WebhookFormat,
  (contentType: string | undefined, body: Buffer) => ParsedWebhook
> = {
  distribution: parseDistributionEnvelope,
  harbor: parseHarborPayload,
};

/**
 * A webhook delivery from an authenticated registry: parsed strictly, stored in the
 * inbox (redeliveries are no-ops), counted, and answered; the coalescer is woken to
 * turn it into executions. Nothing slow happens before the answer, so registries,
 * which deliver one request at a time per endpoint, are not held up.
 */
@Injectable()
export class EventIntake {
  private readonly logger = new Logger(EventIntake.name);

  constructor(
    private readonly inbox: EventInbox,
    private readonly metrics: EventMetrics,
    private readonly bus: EventBus,
  ) {}

  async receive(
    registry: RegistryEntity,
    format: WebhookFormat,
    contentType: string | undefined,
    body: Buffer,
  ): Promise<WebhookReceiptDto> {
    const parsed = this.parse(registry, format, contentType, body);
    const stored = await this.inbox.store(registry.id, format, parsed.events);

    const receipt: WebhookReceiptDto = {
      accepted: 0,
      duplicates: 0,
      ignored: parsed.ignored.length,
    };
    const counted = new Set<string>();
    for (const event of parsed.events) {
      // An id repeated within one delivery counts once as accepted, then as duplicate.
      const isNew = stored.has(event.eventId) && !counted.has(event.eventId);
      counted.add(event.eventId);
      this.metrics.count(registry.name, event.action, isNew ? 'accepted' : 'duplicate');
      if (isNew) receipt.accepted++;
      else receipt.duplicates++;
    }
    for (const ignored of parsed.ignored)
      this.metrics.count(registry.name, ignored.action, 'ignored');

    this.logger.debug({ registry: registry.name, format, ...receipt }, 'Webhook delivery stored');
    if (receipt.accepted)
      await this.bus.publish({ type: 'events.received', registryId: registry.id });
    return receipt;
  }

  private parse(
    registry: RegistryEntity,
    format: WebhookFormat,
    contentType: string | undefined,
    body: Buffer,
  ): ParsedWebhook {
    try {
      return PARSERS[format](contentType, body);
    } catch (error) {
      if (!(error instanceof WebhookPayloadError)) throw error;
      this.metrics.count(registry.name, error.action, 'rejected');
      this.logger.warn(
        { registry: registry.name, format, field: error.field, reason: error.reason },
        `Webhook payload rejected: ${error.message}`,
      );
      if (error.status === 415) throw new UnsupportedMediaTypeException(error.reason);
      throw new InvalidInputException([{ field: error.field, reason: error.reason }]);
    }
  }
}
