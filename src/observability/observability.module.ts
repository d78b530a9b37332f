import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';
import { ShutdownState } from './shutdown-state.js';

@Global()
@Module({
  controllers: [HealthController, MetricsController],
  providers: [MetricsService, HttpMetrics, ShutdownState],
  exports: [MetricsService, HttpMetrics, ShutdownState],
})
export class ObservabilityModule {}
