import { Injectable } from '@nestjs/common';
import { MetricsService } from '../observability/metrics.service.js';

@Injectable()
export class PreheatMetrics {
  readonly preheats;

  constructor(metrics: MetricsService) {
    this.preheats = metrics.counter({
      name: 'regrelay_preheats_total',
      help: 'Dragonfly preheats ended, by destination registry and result (succeeded, failed).',
      labelNames: ['registry', 'result'],
    });
  }
}
