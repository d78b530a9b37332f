import { pino, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';

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
 * for a person at a terminal (LOG_FORMAT=pretty).
 */
export function createRootLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'regrelay', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
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
