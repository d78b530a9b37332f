import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service.js';

/**
 * Request count and duration by method, route pattern and status. The route label
 * is the matched pattern (`/api/v1/policies/:id`), never the raw path, so label
 * values stay bounded; unmatched requests share one label.
 */
@Injectable()
export class HttpMetrics {
  private readonly requests;
  private readonly duration;

  constructor(metrics: MetricsService) {
    this.requests = metrics.counter({
      name: 'regrelay_http_requests_total',
      help: 'HTTP requests served, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
    });
    this.duration = metrics.histogram({
      name: 'regrelay_http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  /** Express middleware; install it before the routes. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const labels = {
        method: req.method,
        // A catch-all (`{/*splat}`, where request logging hangs) is not a route.
        route: typeof route === 'string' && !route.includes('*') ? route : 'unmatched',
        status: String(res.statusCode),
      };
      this.requests.inc(labels);
      this.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
