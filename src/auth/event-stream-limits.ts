import {
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { ApiTokenService } from './api-token.service.js';

/** How often open streams' tokens are checked (revoked or expired on any replica). */
const CHECK_EVERY_MS = 2_000;

/**
 * Limits on Server-Sent Event streams, applied by BearerAuthGuard to every @Sse()
 * route once the token is known (so the routes' own code is untouched):
 * - at most REGRELAY_SSE_MAX_STREAMS open in this process, and
 *   REGRELAY_SSE_MAX_STREAMS_PER_TOKEN per API token; beyond, 429 before any byte;
 * - a stream ends when its token is revoked (at once when revoked through this
 *   process; within CHECK_EVERY_MS when revoked through another replica) or expires:
 *   a last `stream.closed` event says why, and the response ends.
 * A stream counts from admission until its response closes.
 *
 * A guard rather than an interceptor: with any interceptor on a route, Nest starts an
 * SSE response before the handler has run, so the handler's 404 for an unknown
 * execution could no longer be sent as one.
 */
@Injectable()
export class EventStreamLimits implements OnModuleDestroy {
  private readonly logger = new Logger(EventStreamLimits.name);
  private readonly byToken = new Map<string, Set<Response>>();
  private total = 0;
  private checker: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: ApiTokenService,
  ) {
    this.unsubscribe = tokens.onRevoked((id) => this.endAll(id, 'the API token was revoked'));
  }

  /** Counts a stream about to start for `tokenId`, or throws 429. */
  admit(tokenId: string, response: Response): void {
    const mine = this.byToken.get(tokenId)?.size ?? 0;
    const reason =
      this.total >= this.config.sseMaxStreams
        ? `${this.total} event streams are open on this instance, the most it serves (REGRELAY_SSE_MAX_STREAMS)`
        : mine >= this.config.sseMaxStreamsPerToken
          ? `this API token has ${mine} event streams open, the most one token may (REGRELAY_SSE_MAX_STREAMS_PER_TOKEN); close one first`
          : undefined;
    if (reason)
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `Too many event streams: ${reason}`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    let streams = this.byToken.get(tokenId);
    if (!streams) this.byToken.set(tokenId, (streams = new Set()));
    streams.add(response);
    this.total++;
    response.once('close', () => this.remove(tokenId, response));
    this.checker ??= setInterval(() => void this.checkTokens(), CHECK_EVERY_MS);
    this.checker.unref();
  }

  /** Streams open now, in all (for tests and metrics). */
  get open(): number {
    return this.total;
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    clearInterval(this.checker);
  }

  private remove(tokenId: string, response: Response): void {
    const streams = this.byToken.get(tokenId);
    if (!streams?.delete(response)) return;
    this.total--;
    if (!streams.size) this.byToken.delete(tokenId);
    if (!this.total) {
      clearInterval(this.checker);
      this.checker = undefined;
    }
  }

  private endAll(tokenId: string, reason: string): void {
    for (const response of [...(this.byToken.get(tokenId) ?? [])]) {
      if (!response.headersSent) {
        response.destroy();
        continue;
      }
      // A last whole SSE message (the stream's own writes are whole messages too), and
      // the response ends; its 'close' ends the route's Observable as a client going
      // away does. A write racing the end fails quietly instead of as an error event.
      response.on('error', () => undefined);
      response.end(`event: stream.closed\ndata: ${JSON.stringify({ reason })}\n\n`);
    }
  }

  /** Ends the streams of tokens revoked or expired since they opened, on any replica. */
  private async checkTokens(): Promise<void> {
    const ids = [...this.byToken.keys()];
    try {
      const valid = await this.tokens.stillValid(ids);
      for (const id of ids)
        if (!valid.has(id)) this.endAll(id, 'the API token was revoked or has expired');
    } catch (error) {
      // The database may be away for a moment; the streams stay until it answers.
      this.logger.warn({ err: error }, 'Checking the tokens of open event streams failed');
    }
  }
}
