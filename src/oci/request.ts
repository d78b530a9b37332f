import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { Authenticator } from './bearer-auth.js';
import {
  DeniedError,
  MissingNamespaceError,
  ProtocolError,
  RegistryError,
  TooLargeError,
  TransientError,
  UnauthorizedError,
  errorFromResponse,
  type ErrorContext,
} from './errors.js';
import type { RegistryObserver } from './observer.js';
import type { Redactor } from './redactor.js';
import { withRetries, type RetryOptions } from './retry.js';
import type { Semaphore } from './semaphore.js';
import type { TimeoutOptions } from './timeouts.js';
import { resolveLocation } from './upload-location.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
export type RequestBody = string | Uint8Array | AsyncIterable<Uint8Array>;

/**
 * A request described as data. The transport adds auth, retries, throttling,
 * redirects and the status → error mapping; operations only say what they want.
 */
export interface RequestSpec {
  method: Method;
  /** A path under the registry (`/v2/…`) or an absolute URL the registry gave us. */
  url: string | URL;
  /** Token scopes this request needs. */
  scopes: string[];
  context: Omit<ErrorContext, 'registry'>;
  /** Statuses that are success for this request; anything else becomes a typed error. */
  expect: number[];
  headers?: Record<string, string>;
  /** Makes the body for one attempt. Streams cannot be replayed: set `retry: false`. */
  body?: () => RequestBody;
  /** Retry this request on transient failures (default true). */
  retry?: boolean;
  /** Follow 3xx (default: GET and HEAD only). */
  followRedirects?: boolean;
  /** Leave the body for the caller to stream (it must consume or destroy it). */
  stream?: boolean;
  /** When buffering the body, refuse more than this (default 1 MiB). */
  maxBodyBytes?: number;
  /** Overrides the headers timeout (completing large uploads). */
  headersTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects: resolve relative headers against it. */
  url: URL;
  /** The body, when not streamed. */
  bytes: Buffer;
  /** The body stream, when `stream` was set. */
  body?: Readable;
}

export interface TransportOptions {
  registry: string;
  baseUrl: URL;
  dispatcher: Dispatcher;
  auth: Authenticator;
  redactor: Redactor;
  semaphore: Semaphore;
  retry: Required<RetryOptions>;
  timeouts: Required<TimeoutOptions>;
  maxRedirects: number;
  observer?: RegistryObserver;
}

const DEFAULT_MAX_BODY = 1 << 20;
const MAX_ERROR_BODY = 64 * 1024;
const USER_AGENT = 'regrelay-oci/0.1';

/** The one wrapper every registry request goes through. */
export class Transport {
  private discovery: Promise<void> | undefined;

  constructor(readonly options: TransportOptions) {}

  get registry(): string {
    return this.options.registry;
  }

  /** Sends a request with retries (unless the spec opts out). */
  send(spec: RequestSpec): Promise<RegistryResponse> {
    spec.signal?.throwIfAborted();
    if (spec.retry === false) return this.attempt(spec);
    return withRetries(() => this.attempt(spec), {
      registry: this.registry,
      options: this.options.retry,
      observer: this.options.observer,
      signal: spec.signal,
    });
  }

  /** Builds a typed error with this registry's context. */
  context(extra: Omit<ErrorContext, 'registry'> = {}): ErrorContext {
    return { registry: this.registry, ...extra };
  }

  /**
   * Learns the auth scheme once with `GET /v2/`, so that requests whose body cannot be
   * sent twice (blob streams) carry credentials on their first try.
   */
  private discover(signal?: AbortSignal): Promise<void> {
    if (this.options.auth.known) return Promise.resolve();
    this.discovery ??= (async () => {
      const url = new URL('/v2/', this.options.baseUrl);
      const response = await this.dispatch(
        url,
        { method: 'GET', headers: {}, signal },
        { context: {} },
      );
      await response.body.dump();
      this.options.auth.learn(response.statusCode, response.headers['www-authenticate']);
    })().finally(() => {
      this.discovery = undefined;
    });
    return this.discovery;
  }

  private async attempt(spec: RequestSpec): Promise<RegistryResponse> {
    const { signal } = spec;
    await this.discover(signal);
    let url = resolveUrl(spec.url, this.options.baseUrl);
    const follow = spec.followRedirects ?? (spec.method === 'GET' || spec.method === 'HEAD');
    const visited = new Set<string>([url.href]);
    let challenged = false;
    for (let hop = 0; ;) {
      const sameOrigin = url.origin === this.options.baseUrl.origin;
      const headers: Record<string, string> = { ...spec.headers };
      // Never send registry credentials to another host (object storage redirects).
      const authorization = sameOrigin
        ? await this.options.auth.header(spec.scopes, signal)
        : undefined;
      if (authorization) headers.authorization = authorization;
      // After a redirect the body (if any) is not re-sent: only GET/HEAD follow.
      const body = hop === 0 ? spec.body?.() : undefined;
      const release = await this.options.semaphore.acquire(signal);
      let response: Dispatcher.ResponseData;
      try {
        response = await this.dispatch(url, { method: spec.method, headers, body, signal }, spec);
      } catch (error) {
        release();
        throw error;
      }
      const status = response.statusCode;

      if (status === 401 && sameOrigin && !challenged) {
        // Kept: when no retry can help, the registry's reason is in it.
        const text = await readText(response.body, MAX_ERROR_BODY).finally(release);
        challenged = true;
        const challengeHeader = response.headers['www-authenticate'];
        const canRetry = await this.options.auth.challenge(challengeHeader, spec.scopes, signal);
        // A stream body was consumed by the refused attempt: only replayable bodies retry.
        if (canRetry && (spec.body === undefined || spec.retry !== false)) continue;
        throw await this.refusal(spec, status, text, response.headers);
      }

      if (follow && status >= 300 && status < 400 && response.headers.location) {
        await dumpQuietly(response.body);
        release();
        const next = resolveLocation(response.headers.location, url);
        hop++;
        if (!next || visited.has(next.href) || hop > this.options.maxRedirects) {
          throw new ProtocolError(
            next && visited.has(next.href)
              ? 'redirect loop'
              : `more than ${this.options.maxRedirects} redirects`,
            { ...this.context(spec.context), status },
          );
        }
        visited.add(next.href);
        url = next;
        continue;
      }

      if (!spec.expect.includes(status)) {
        const text = await readText(response.body, MAX_ERROR_BODY).finally(release);
        throw this.errorFor(spec, status, text, response.headers, sameOrigin);
      }

      if (spec.stream) {
        const stream = response.body as unknown as Readable;
        stream.once('close', release);
        return { status, headers: response.headers, url, bytes: Buffer.alloc(0), body: stream };
      }
      try {
        const limit = spec.maxBodyBytes ?? DEFAULT_MAX_BODY;
        const tooLarge = () =>
          new TooLargeError(`the answer is larger than the ${limit}-byte limit`, {
            ...this.context(spec.context),
            limit,
          });
        // Refuse before reading when the registry announces the size (HEAD announces
        // the size of what a GET would send, and has no body).
        if (spec.method !== 'HEAD' && Number(response.headers['content-length']) > limit) {
          discard(response.body);
          throw tooLarge();
        }
        const bytes = await readBytes(response.body, limit, tooLarge);
        return { status, headers: response.headers, url, bytes };
      } finally {
        release();
      }
    }
  }

  /**
   * The error for a 401 no new credentials can cure, with the registry's reason. A
   * HEAD answer has no body to give one, so when a registry refuses a HEAD without
   * even a challenge (Harbor does, for a project that does not exist), the reason is
   * asked for once with the smallest GET needing the same access: the tag list.
   */
  private async refusal(
    spec: RequestSpec,
    status: number,
    text: string,
    headers: IncomingHttpHeaders,
  ): Promise<RegistryError> {
    const error = this.errorFor(spec, status, text, headers, true);
    const repository = spec.context.repository;
    const challenges = parseWwwAuthenticate(headers['www-authenticate']);
    if (spec.method !== 'HEAD' || text.trim() || challenges.length || !repository) return error;
    try {
      await this.send({
        method: 'GET',
        url: `/v2/${repository}/tags/list?n=1`,
        scopes: spec.scopes,
        context: spec.context,
        expect: [200],
        retry: false,
        signal: spec.signal,
      });
    } catch (reason) {
      if (
        reason instanceof MissingNamespaceError ||
        ((reason instanceof UnauthorizedError || reason instanceof DeniedError) &&
          reason.registryMessage)
      ) {
        return reason;
      }
    }
    return error;
  }

  private errorFor(
    spec: RequestSpec,
    status: number,
    text: string,
    headers: IncomingHttpHeaders,
    sameOrigin: boolean,
  ): RegistryError {
    const context = this.context(spec.context);
    if (!sameOrigin && (status === 401 || status === 403)) {
      // Object storage refusing a pre-signed URL is not a registry auth challenge.
      return new DeniedError('the storage the registry redirected to refused the request', {
        ...context,
        status,
      });
    }
    const retryAfter = headers['retry-after'];
    return errorFromResponse(
      {
        status,
        method: spec.method,
        bodyText: text,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        redact: (t) => this.options.redactor.redact(t),
      },
      context,
    );
  }

  private async dispatch(
    url: URL,
    init: {
      method: Method;
      headers: Record<string, string>;
      body?: RequestBody;
      signal?: AbortSignal;
    },
    spec: Pick<RequestSpec, 'headersTimeoutMs' | 'context'>,
  ): Promise<Dispatcher.ResponseData> {
    const started = performance.now();
    const sameOrigin = url.origin === this.options.baseUrl.origin;
    const body = toDispatchBody(init.body);
    try {
      const response = await this.options.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: init.method,
        headers: { 'user-agent': USER_AGENT, ...init.headers },
        body: body.value,
        signal: init.signal,
        headersTimeout: spec.headersTimeoutMs ?? this.options.timeouts.headersMs,
        bodyTimeout: this.options.timeouts.idleMs,
        // undici closes the connection after every HEAD (and asks the server to, with
        // `connection: close`) in case a broken server sends a body anyway. Registries
        // answer HEAD as HTTP says, and HEADs are most of a no-op resync: a new TCP
        // connection for each was most of their cost at both ends (docs/benchmarks.md).
        // A server that did send a body would garble the connection: undici drops it,
        // and a request caught by it fails as a transient network error and is retried.
        ...(init.method === 'HEAD' ? { reset: false } : {}),
      });
      this.report(init.method, response.statusCode, started, sameOrigin);
      return response;
    } catch (error) {
      this.report(init.method, 0, started, sameOrigin);
      if (init.signal?.aborted) throw init.signal.reason;
      // A failure of our own body (digest check, source dropped) wins over the
      // socket error it caused.
      const bodyFailure = body.failure();
      if (bodyFailure !== undefined) throw bodyFailure;
      throw networkError(error, this.context(spec.context));
    }
  }

  private report(method: string, status: number, started: number, sameOrigin: boolean): void {
    this.options.observer?.onRequest?.({
      registry: this.registry,
      method,
      status,
      durationMs: performance.now() - started,
      sameOrigin,
    });
  }
}

function resolveUrl(url: string | URL, base: URL): URL {
  return url instanceof URL ? url : new URL(url, base);
}

/** Wraps an iterable body so the transport can tell its own failure from the socket's. */
function toDispatchBody(body: RequestBody | undefined): {
  value: string | Uint8Array | Readable | undefined;
  failure(): unknown;
} {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
    return { value: body, failure: () => undefined };
  }
  let failed: unknown;
  async function* watched(source: AsyncIterable<Uint8Array>) {
    try {
      yield* source;
    } catch (error) {
      failed = error;
      throw error;
    }
  }
  return { value: Readable.from(watched(body), { objectMode: false }), failure: () => failed };
}

/** Network-level failures (reset, refused, timeouts) are transient by nature. */
export function networkError(error: unknown, context: ErrorContext): RegistryError {
  if (error instanceof RegistryError) return error;
  const code = (error as { code?: string }).code ?? (error as Error).name;
  // Keep only the code and message: undici errors never hold headers, but a cause
  // chain might, and errors end up in logs.
  return new TransientError(`network error (${code}: ${(error as Error).message})`, context);
}

/** Drops a body we will not read; undici reports the abort as an error event. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function dumpQuietly(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump();
  } catch {
    // the connection is going away anyway
  }
}

export async function readBytes(
  body: AsyncIterable<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) {
      // Leaving the loop by throwing closes the stream; no error event to go unheard.
      throw tooLarge();
    }
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, total);
}

async function readText(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  try {
    const bytes = await readBytes(body, limit, () => new Error('error body too large'));
    return bytes.toString('utf8');
  } catch {
    return '';
  }
}
