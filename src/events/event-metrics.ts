import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../observability/metrics.service.js';
import type { EventActionLabel } from './inbox-event.js';

export type EventResult = 'accepted' | 'duplicate' | 'ignored' | 'rejected';

/**
 * Webhook intake metrics. Labels are the registry's name (operator-configured),
 * a fixed action set and a fixed result set: never repositories or tags.
 */
@Injectable()
export class EventMetrics {
  private readonly received: Counter<'registry' | 'action' | 'result'>;
  private depthSource?: () => Promise<number>;

  constructor(metrics: MetricsService) {
    this.received = metrics.counter({
      name: 'regrelay_events_received_total',
      help:
        'Registry notifications received, by registry, action and result: accepted (stored), ' +
        'duplicate (already stored), ignored (nothing to do), rejected (the whole request, 400).',
      labelNames: ['registry', 'action', 'result'],
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

  count(registry: string, action: EventActionLabel, result: EventResult, n = 1): void {
    if (n > 0) this.received.inc({ registry, action, result }, n);
  }

  /** The pending count is read from the database at scrape time. */
  measurePending(source: () => Promise<number>): void {
    this.depthSource = source;
  }
}
