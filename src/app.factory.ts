import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule, type RuntimeContext } from './app.module.js';
import { ExpressAdapterWithTimeouts } from './bootstrap/express-adapter-with-timeouts.js';
import { createValidationPipe } from './common/validation.js';
import { consoleAssets } from './console/console-assets.js';
import { webhookBodyReader } from './events/webhook-body.js';
import { EVENTS_ROUTE } from './events/webhook-routes.js';
import { HttpMetrics } from './observability/http-metrics.js';
import { setupOpenApi } from './openapi.js';

/** Largest JSON request body the API reads. */
const JSON_BODY_LIMIT = '1mb';

/**
 * Builds the whole application, configured exactly as it runs in production; main.ts
 * and the e2e tests both use it.
 */
export async function createApp(runtime: RuntimeContext): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(runtime),
    new ExpressAdapterWithTimeouts(runtime.config),
    {
      bufferLogs: true,
      // Idle keep-alive and SSE connections must not hold a shutdown open.
      forceCloseConnections: true,
      // Throw instead of exiting on a failed provider (an unreadable lookup key, say),
      // so main.ts logs it, releases the embedded database and exits 1.
      abortOnError: false,
    },
  );
  app.useLogger(app.get(Logger));
  app.use(app.get(HttpMetrics).middleware);
  // Before Nest's JSON parser (installed at init): webhooks arrive in content types it
  // does not read, and their routes want the exact bytes to parse strictly.
  app.use(`/${EVENTS_ROUTE}`, webhookBodyReader());
  // 100 kB (the default) is less than a full batch of one-off copies (1,000 items).
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  // The browser console at / (built by `npm run build`); server paths pass through it.
  app.use(consoleAssets());
  app.useGlobalPipes(createValidationPipe());
  app.set('trust proxy', runtime.config.trustProxy);
  app.disable('x-powered-by');
  setupOpenApi(app);
  return app;
}
