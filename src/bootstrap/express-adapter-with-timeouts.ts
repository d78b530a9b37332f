import { createServer, type Server } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { AppConfig } from '../config/app-config.js';

/** How often Node checks open connections against the header and request timeouts. */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/**
 * Nest's Express adapter with the HTTP server's timeouts set from the configuration:
 * - headersTimeout: a client has this long to send its request headers (slowloris);
 * - requestTimeout: ... and its whole request, body included. Only receiving the
 *   request counts, so a long response (an SSE stream of an execution) is not cut;
 * - keepAliveTimeout: an idle kept-alive connection is closed after this (set it
 *   above a load balancer's idle timeout to avoid races on reused connections).
 * The server is created here because Node takes the checking interval only at
 * creation (its default, 30 s, would let a timeout run up to 30 s late).
 */
export class ExpressAdapterWithTimeouts extends ExpressAdapter {
  private closeAllOnShutdown = false;

  constructor(
    private readonly timeouts: Pick<
      AppConfig,
      'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'
    >,
  ) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    const server = createServer(
      {
        headersTimeout: this.timeouts.httpHeadersTimeoutMs,
        requestTimeout: this.timeouts.httpRequestTimeoutMs,
        keepAliveTimeout: this.timeouts.httpKeepAliveTimeoutMs,
        connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
      },
      this.getInstance(),
    );
    this.setHttpServer(server);
    // Nest's own tracking of connections hangs on the server it would have made.
    this.closeAllOnShutdown = options.forceCloseConnections === true;
  }

  override close(): Promise<void> | undefined {
    const closing = super.close();
    if (this.closeAllOnShutdown) (this.getHttpServer() as Server).closeAllConnections();
    return closing as Promise<void> | undefined;
  }
}
