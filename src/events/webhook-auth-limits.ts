import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { FailedAuthLimiter } from '../auth/failed-auth-limiter.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../observability/metrics.service.js';

/**
 * Unknown webhook secrets per client address (one process-wide count: Nest may make
 * more than one instance of a guard) and the metric of refusals. Its own limiter, so
 * webhook guesses and API token guesses do not use up each other's budget.
 */
@Injectable()
export class WebhookAuthLimits {
  readonly limiter: FailedAuthLimiter;
  private readonly failures: Counter<'reason'>;

  constructor(config: AppConfig, metrics: MetricsService) {
    this.limiter = new FailedAuthLimiter(config.authFailuresPerMinute);
    this.failures = metrics.counter({
      name: 'regrelay_webhook_auth_failures_total',
      help: 'Webhook requests refused for their secret: invalid (no registry has it) or rate_limited (too many invalid ones from the address).',
      labelNames: ['reason'],
    });
  }

  refused(reason: 'invalid' | 'rate_limited'): void {
    this.failures.inc({ reason });
  }
}
