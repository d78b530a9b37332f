import { pino, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { serializeError } from './error-serializer.js';

/** Errors are serialized without SQL text or values, under either key code uses. */
export const ERROR_SERIALIZERS = { err: serializeError, error: serializeError };

/**
 * Paths redacted from every log record. Tokens, passwords and secrets must not reach
 * log storage, whatever code logs them.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.webhookSecret',
];

/**
 * The process's one pino logger: JSON lines in production, colourised single lines
 * for a person at a terminal (LOG_FORMAT=pretty). `destination` (JSON only) replaces
 * stdout, for tests that read what was logged.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'regrelay', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: ERROR_SERIALIZERS,
  };
  if (destination) return pino(options, destination);
  return pino({
    ...options,
    transport:
      config.logFormat === 'pretty'
        ? {
            target: 'pino-pretty',
            options: {
              colorize: true,
              translateTime: 'SYS:HH:MM:ss.l',
              ignore: 'pid,hostname,service',
            },
          }
        : undefined,
  });
}
