import { Injectable, Logger } from '@nestjs/common';
import { InvalidInputException } from '../common/validation.js';
import { DEFAULT_REGISTRY_TIMEZONE } from '../common/time-zone.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { EventBus } from '../replication/event-bus.js';
import { parseAcrPayload } from './acr-payload.js';
import { parseDistributionEnvelope } from './distribution-envelope.js';
import type { WebhookReceiptDto } from './dto/webhook.dto.js';
import { EventInbox } from './event-inbox.js';
import { EventMetrics } from './event-metrics.js';
import { parseHarborWebhook } from './harbor-payload.js';
import {
  parseJsonBody,
  WebhookBodyError,
  type ParsedWebhook,
  type WebhookFormat,
  type WebhookParser,
} from './inbox-event.js';

const PARSERS: Record<WebhookFormat, WebhookParser> = {
  distribution: parseDistributionEnvelope,
  harbor: parseHarborWebhook,
  acr: parseAcrPayload,
};

/**
 * Rejected events stored (and logged one by one) per delivery. A body of up to 1 MiB
 * could hold a hundred thousand broken events; the rest are counted and summarised.
 */
export const MAX_REJECTED_STORED = 100;
/** Problems echoed in the answer, for a person testing a webhook by hand. */
const MAX_PROBLEMS_ANSWERED = 10;

/**
 * A webhook delivery from an authenticated registry: read event by event, stored in
 * the inbox (redeliveries are no-ops), counted, logged and answered; the coalescer is
 * woken to turn it into executions. Nothing slow happens before the answer, so
 * registries, which deliver one request at a time per endpoint, are not held up.
 *
 * Every JSON body is answered 202, including events regrelay cannot use: those are
 * stored as rejected with their reason. distribution redelivers an envelope until it
 * gets a 2xx and holds every later one behind it, so a 4xx for one unreadable event
 * would stop that registry's notifications for good. Only a body that is not JSON at
 * all gets 400 (no registry sends one).
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
    body: Buffer,
  ): Promise<WebhookReceiptDto> {
    const parsed = PARSERS[format](this.readJson(registry, format, body), {
      timezone: registry.timezone ?? DEFAULT_REGISTRY_TIMEZONE,
    });
    const kept = parsed.rejected.slice(0, MAX_REJECTED_STORED);
    const stored = await this.inbox.store(registry.id, format, parsed.events, kept);

    const receipt: WebhookReceiptDto = {
      accepted: 0,
      duplicates: 0,
      ignored: parsed.ignored.length,
      rejected: 0,
      problems: parsed.rejected
        .slice(0, MAX_PROBLEMS_ANSWERED)
        .map(({ field, reason }) => ({ field, reason })),
    };
    const counted = new Set<string>();
    // An id repeated within one delivery counts once, then as a duplicate.
    const isNew = (eventId: string) => {
      const fresh = stored.has(eventId) && !counted.has(eventId);
      counted.add(eventId);
      return fresh;
    };
    for (const event of parsed.events) {
      const fresh = isNew(event.eventId);
      this.metrics.count(registry.name, format, event.action, fresh ? 'accepted' : 'duplicate');
      if (fresh) receipt.accepted++;
      else receipt.duplicates++;
    }
    for (const event of kept) {
      const fresh = isNew(event.eventId);
      this.metrics.count(registry.name, format, event.action, fresh ? 'rejected' : 'duplicate');
      if (!fresh) {
        receipt.duplicates++;
        continue;
      }
      receipt.rejected++;
      this.logger.warn(
        {
          registry: registry.name,
          source: format,
          eventId: event.eventId,
          action: event.action,
          field: event.field,
          reason: event.reason,
          repository: event.repository,
          tag: event.tag,
        },
        `Registry event rejected (stored, answered 202): ${event.field}: ${event.reason}`,
      );
    }
    this.countUnstored(registry, format, parsed, receipt);
    for (const ignored of parsed.ignored)
      this.metrics.count(registry.name, format, ignored.action, 'ignored');

    this.logger.debug({ registry: registry.name, format, ...receipt }, 'Webhook delivery stored');
    if (receipt.accepted)
      await this.bus.publish({ type: 'events.received', registryId: registry.id });
    return receipt;
  }

  /** Rejected events past MAX_REJECTED_STORED: counted, and one line for all of them. */
  private countUnstored(
    registry: RegistryEntity,
    format: WebhookFormat,
    parsed: ParsedWebhook,
    receipt: WebhookReceiptDto,
  ): void {
    const unstored = parsed.rejected.slice(MAX_REJECTED_STORED);
    if (!unstored.length) return;
    for (const event of unstored)
      this.metrics.count(registry.name, format, event.action, 'rejected');
    receipt.rejected += unstored.length;
    this.logger.warn(
      { registry: registry.name, source: format, rejected: unstored.length },
      `A webhook delivery held more than ${MAX_REJECTED_STORED} unusable events; the rest were counted, not stored`,
    );
  }

  private readJson(registry: RegistryEntity, format: WebhookFormat, body: Buffer): unknown {
    try {
      return parseJsonBody(body);
    } catch (error) {
      if (!(error instanceof WebhookBodyError)) throw error;
      this.metrics.count(registry.name, format, 'unknown', 'rejected');
      this.logger.warn(
        { registry: registry.name, source: format, field: error.field, reason: error.reason },
        `Webhook body refused (400): ${error.message}`,
      );
      throw new InvalidInputException([{ field: error.field, reason: error.reason }]);
    }
  }
}
