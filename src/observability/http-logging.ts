import type { Params } from 'nestjs-pino';
import type { Logger } from 'pino';
import { redactedUrl } from './redacted-url.js';
import { requestIdFor } from './request-id.js';
import { ERROR_SERIALIZERS } from './root-logger.js';

const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/** nestjs-pino's settings: one line per request, logged by the process's root logger. */
export function httpLoggingParams(logger: Logger): Params {
  return {
    pinoHttp: {
      logger,
      genReqId: requestIdFor,
      // Probes and scrapes every few seconds would drown the useful lines.
      autoLogging: { ignore: (req) => QUIET_ROUTES.has(req.url?.split('?')[0] ?? '') },
      // One compact line per request; headers may carry credentials and add noise,
      // and ACR's trigger URL carries the webhook secret in its query.
      // pino-http installs its own error serializer on the request loggers unless
      // given one: ours, so request lines drop SQL like every other line.
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactedUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        ...ERROR_SERIALIZERS,
      },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
