import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../observability/metrics.service.js';
import type { EventActionLabel, WebhookFormat } from './inbox-event.js';

export type EventResult = 'accepted' | 'duplicate' | 'ignored' | 'rejected';

/**
 * Webhook intake metrics. Labels are the registry's name (operator-configured), the
 * route's format, a fixed action set and a fixed result set: never repositories or tags.
 */
@Injectable()
export class EventMetrics {
  private readonly received: Counter<'registry' | 'source' | 'action' | 'result'>;
  private depthSource?: () => Promise<number>;

  constructor(metrics: MetricsService) {
    this.received = metrics.counter({
      name: 'regrelay_events_received_total',
      help:
        'Registry notifications received, by registry, source format, action and result: ' +
        'accepted (stored to act on), duplicate (stored before), ignored (nothing to do), ' +
        'rejected (unusable: stored with the reason; or a body that is not JSON, answered 400).',
      labelNames: ['registry', 'source', 'action', 'result'],
    });
    const depthOf = () => this.depthSource?.();
    metrics.gauge({
      name: 'regrelay_events_pending',
      help: 'Stored notifications not yet turned into executions, across all replicas.',
      async collect() {
        const depth = await depthOf()?.catch(() => undefined);
        if (depth !== undefined) this.set(depth);
      },
    });
  }

  count(
    registry: string,
    source: WebhookFormat,
    action: EventActionLabel,
    result: EventResult,
    n = 1,
  ): void {
    if (n > 0) this.received.inc({ registry, source, action, result }, n);
  }

  /** The pending count is read from the database at scrape time. */
  measurePending(source: () => Promise<number>): void {
    this.depthSource = source;
  }
}
