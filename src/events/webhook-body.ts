import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { redactedUrl } from '../observability/redacted-url.js';

/** The largest webhook body read. distribution batches a few events; Harbor sends one. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const logger = new Logger('WebhookBody');

/**
 * Express middleware for the webhook routes, installed before Nest's JSON parser:
 * reads the body as bytes, whatever its content type (distribution's
 * `application/vnd.docker.distribution.events.v1+json` is not one the JSON parser
 * takes), up to WEBHOOK_BODY_LIMIT. The routes then check the content type and parse
 * strictly themselves, so every rejection is theirs to explain, count and log.
 */
export function webhookBodyReader(limit = WEBHOOK_BODY_LIMIT) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST') return next();
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      return refuse(
        req,
        res,
        415,
        `Content-Encoding ${encoding} is not accepted; send the body as is`,
      );
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return refuse(req, res, 413, tooLarge(limit));

    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (error) return next(error);
      req.body = Buffer.concat(chunks, size);
      next();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        refuse(req, res, 413, tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', (error) => finish(error));
  };
}

function tooLarge(limit: number): string {
  return `The webhook body is larger than ${limit} bytes; nothing was stored`;
}

function refuse(req: Request, res: Response, status: 413 | 415, message: string): void {
  logger.warn(
    { url: redactedUrl(req.originalUrl), status, remoteAddress: req.ip },
    `Webhook refused: ${message}`,
  );
  // The rest of an oversized body is not read: close the connection instead.
  res.setHeader('Connection', 'close');
  res.status(status).json({
    statusCode: status,
    error: status === 413 ? 'Payload Too Large' : 'Unsupported Media Type',
    message,
  });
  req.resume();
}
