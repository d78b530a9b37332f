import {
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { ApiTokenService } from './api-token.service.js';
import type { AuthenticatedRequest } from './principal.js';

/** How often open streams' tokens are checked (revoked or expired on any replica). */
const CHECK_EVERY_MS = 2_000;

interface OpenStream {
  end(reason: string): void;
}

/**
 * Limits on Server-Sent Event streams, for every @Sse() route (a global interceptor,
 * so the routes' own code is untouched):
 * - at most REGRELAY_SSE_MAX_STREAMS open in this process, and
 *   REGRELAY_SSE_MAX_STREAMS_PER_TOKEN per API token; beyond, 429 before any byte;
 * - a stream ends when its token is revoked (at once when revoked through this
 *   process; within CHECK_EVERY_MS when revoked through another replica) or expires,
 *   with a last `stream.closed` event saying why.
 * A stream is counted from when the response subscribes to it until it ends or the
 * client goes away.
 */
@Injectable()
export class EventStreamLimits implements NestInterceptor, OnModuleDestroy {
  private readonly logger = new Logger(EventStreamLimits.name);
  private readonly byToken = new Map<string, Set<OpenStream>>();
  private total = 0;
  private checker: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly tokens: ApiTokenService,
  ) {
    this.unsubscribe = tokens.onRevoked((id) => this.endAll(id, 'the API token was revoked'));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get<boolean>(SSE_METADATA, context.getHandler())) return next.handle();
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) return next.handle(); // a public stream: nothing to count it against
    return new Observable<unknown>((subscriber) => {
      const refusal = this.refusal(principal.tokenId);
      // Before the handler runs and before any byte: the exception filter answers 429.
      if (refusal) return subscriber.error(refusal);
      const stream: OpenStream = {
        end: (reason) => {
          const last: MessageEvent = { type: 'stream.closed', data: { reason } };
          subscriber.next(last);
          subscriber.complete();
        },
      };
      this.add(principal.tokenId, stream);
      const inner = next.handle().subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        this.remove(principal.tokenId, stream);
      };
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    clearInterval(this.checker);
  }

  /** Streams open now, in all (for tests and metrics). */
  get open(): number {
    return this.total;
  }

  private refusal(tokenId: string): HttpException | undefined {
    const mine = this.byToken.get(tokenId)?.size ?? 0;
    const reason =
      this.total >= this.config.sseMaxStreams
        ? `${this.total} event streams are open on this instance, the most it serves (REGRELAY_SSE_MAX_STREAMS)`
        : mine >= this.config.sseMaxStreamsPerToken
          ? `this API token has ${mine} event streams open, the most one token may (REGRELAY_SSE_MAX_STREAMS_PER_TOKEN); close one first`
          : undefined;
    if (!reason) return undefined;
    return new HttpException(
      { statusCode: 429, error: 'Too Many Requests', message: `Too many event streams: ${reason}` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  private add(tokenId: string, stream: OpenStream): void {
    let streams = this.byToken.get(tokenId);
    if (!streams) this.byToken.set(tokenId, (streams = new Set()));
    streams.add(stream);
    this.total++;
    this.checker ??= setInterval(() => void this.checkTokens(), CHECK_EVERY_MS);
    this.checker.unref();
  }

  private remove(tokenId: string, stream: OpenStream): void {
    const streams = this.byToken.get(tokenId);
    if (!streams?.delete(stream)) return;
    this.total--;
    if (!streams.size) this.byToken.delete(tokenId);
    if (!this.total) {
      clearInterval(this.checker);
      this.checker = undefined;
    }
  }

  private endAll(tokenId: string, reason: string): void {
    // end() completes the stream, whose teardown removes it from the set.
    for (const stream of [...(this.byToken.get(tokenId) ?? [])]) stream.end(reason);
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
