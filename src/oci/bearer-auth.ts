import type { Dispatcher } from 'undici';
import {
  DeniedError,
  ProtocolError,
  RegistryError,
  TransientError,
  UnauthorizedError,
  parseErrorBody,
} from './errors.js';
import type { Redactor } from './redactor.js';
import { mergeScopes } from './scope.js';
import { checkedRealm } from './token-realm.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export interface Credentials {
  username: string;
  password: string;
}

type Scheme =
  { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface AuthenticatorOptions {
  registry: string;
  /** The registry's base URL: token realms are judged against its scheme and host. */
  baseUrl: URL;
  /** Hosts besides the registry's own whose token realm may receive the credentials. */
  tokenRealmHosts?: readonly string[];
  credentials?: Credentials;
  dispatcher: Dispatcher;
  redactor: Redactor;
  now?: () => number;
}

/** Tokens are refreshed this long before they expire, to cover clock skew and latency. */
const EXPIRY_SKEW_MS = 10_000;
/** The token spec's default and minimum lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Cached tokens per registry: one per scope set in use; expired ones go first. */
const MAX_CACHED_TOKENS = 256;
const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;
const CLIENT_ID = 'regrelay';

/**
 * Knows how one registry wants to be authenticated (learnt from its challenges) and
 * produces the Authorization header for a set of scopes: nothing, Basic, or a Bearer
 * token fetched from the realm and cached per scope set until shortly before expiry.
 */
export class Authenticator {
  private scheme: Scheme | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** Realms that answered POST with "not here": use GET from then on. */
  private readonly getOnlyRealms = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now;
    const c = options.credentials;
    if (c) {
      options.redactor.addCredential(c.password);
      options.redactor.addCredential(basicValue(c));
    }
  }

  /** True once a challenge (or a 200 ping) told us the scheme. */
  get known(): boolean {
    return this.scheme !== undefined;
  }

  /** Records what a `GET /v2/` said, without fetching a token yet. */
  learn(status: number, wwwAuthenticate: string | string[] | undefined): void {
    if (status !== 401) {
      this.scheme ??= { kind: 'none' };
      return;
    }
    this.scheme = schemeFrom(wwwAuthenticate) ?? this.scheme;
  }

  /** The Authorization header for a request needing `scopes`, if any. */
  async header(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const scheme = this.scheme;
    if (!scheme || scheme.kind === 'none') return undefined;
    if (scheme.kind === 'basic') {
      return this.options.credentials ? `Basic ${basicValue(this.options.credentials)}` : undefined;
    }
    const token = await this.token(scheme, mergeScopes(scopes), false, signal);
    return `Bearer ${token}`;
  }

  /**
   * Handles a 401. Returns true when a retry with a fresh header can succeed: a new
   * scheme was learnt, the token was invalid or lacked a scope. Returns false when the
   * same credentials would fail again.
   */
  async challenge(
    wwwAuthenticate: string | string[] | undefined,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<boolean> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      const scheme: Scheme = {
        kind: 'bearer',
        realm: bearer.params.realm,
        service: bearer.params.service,
      };
      this.scheme = scheme;
      // The challenge may name scopes we did not know we needed (mount, catalog).
      const wanted = mergeScopes(scopes, bearer.params.scope?.split(' ') ?? []);
      this.tokens.delete(this.cacheKey(scheme, wanted));
      await this.token(scheme, wanted, true, signal);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const wasBasic = this.scheme?.kind === 'basic';
      this.scheme = { kind: 'basic' };
      return !wasBasic && this.options.credentials !== undefined;
    }
    return false;
  }

  private async token(
    scheme: Extract<Scheme, { kind: 'bearer' }>,
    scopes: string[],
    force: boolean,
    signal?: AbortSignal,
  ): Promise<string> {
    const key = this.cacheKey(scheme, scopes);
    const cached = this.tokens.get(key);
    if (!force && cached && cached.expiresAt - EXPIRY_SKEW_MS > this.now()) return cached.token;
    const fetched = await this.fetchToken(scheme, scopes, signal);
    this.options.redactor.add(fetched.token);
    this.remember(key, fetched);
    return fetched.token;
  }

  /** How many tokens are cached (bounded by MAX_CACHED_TOKENS). */
  get cachedTokens(): number {
    return this.tokens.size;
  }

  /**
   * Caches a token. Every repository copied asks for its own scope set, so the cache
   * would grow with the catalogue: expired tokens are dropped, and past the bound the
   * oldest entry goes.
   */
  private remember(key: string, token: CachedToken): void {
    const now = this.now();
    for (const [k, cached] of this.tokens) if (cached.expiresAt <= now) this.tokens.delete(k);
    this.tokens.delete(key); // re-set: it becomes the newest
    if (this.tokens.size >= MAX_CACHED_TOKENS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    this.tokens.set(key, token);
  }

  private cacheKey(scheme: { realm: string; service?: string }, scopes: string[]): string {
    const who = this.options.credentials?.username ?? '';
    return JSON.stringify([scheme.realm, scheme.service ?? '', who, ...scopes]);
  }

  private async fetchToken(
    scheme: { realm: string; service?: string },
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const credentials = this.options.credentials;
    if (credentials && !this.getOnlyRealms.has(scheme.realm)) {
      const posted = await this.postToken(scheme, scopes, credentials, signal);
      if (posted) return posted;
      this.getOnlyRealms.add(scheme.realm);
    }
    return this.getToken(scheme, scopes, signal);
  }

  /** OAuth2 password grant; undefined when the realm does not do POST. */
  private async postToken(
    scheme: { realm: string; service?: string },
    scopes: string[],
    credentials: Credentials,
    signal?: AbortSignal,
  ): Promise<CachedToken | undefined> {
    const form = new URLSearchParams({
      grant_type: 'password',
      client_id: CLIENT_ID,
      username: credentials.username,
      password: credentials.password,
    });
    if (scheme.service) form.set('service', scheme.service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    const url = this.realmUrl(scheme.realm, true);
    const response = await this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal,
    });
    // Token servers without OAuth2 answer POST in many ways; all mean "use GET".
    if ([400, 401, 404, 405].includes(response.status)) return undefined;
    return this.parseToken(response);
  }

  private async getToken(
    scheme: { realm: string; service?: string },
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const credentials = this.options.credentials;
    const url = this.realmUrl(scheme.realm, credentials !== undefined);
    if (scheme.service) url.searchParams.set('service', scheme.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials) headers.authorization = `Basic ${basicValue(credentials)}`;
    return this.parseToken(await this.send(url, { method: 'GET', headers, signal }));
  }

  private parseToken(response: TokenResponse): CachedToken {
    if (response.status !== 200) throw this.tokenError(response);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(response.text) as typeof body;
    } catch {
      throw new ProtocolError('token server answered something that is not JSON', this.context());
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || !token) {
      throw new ProtocolError('token server answered without a token', this.context());
    }
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: this.now() + Math.max(seconds, DEFAULT_TOKEN_SECONDS) * 1000 };
  }

  private tokenError(response: TokenResponse): RegistryError {
    const { code, message } = parseErrorBody(response.text);
    const details = {
      ...this.context(),
      status: response.status,
      code,
      registryMessage: message ? this.options.redactor.redact(message) : undefined,
    };
    if (response.status === 401)
      return new UnauthorizedError('the token server refused the credentials', details);
    if (response.status === 403) return new DeniedError('the token server denied access', details);
    if (response.status >= 500 || response.status === 429) {
      return new TransientError('the token server failed for now', details);
    }
    return new ProtocolError('unexpected answer from the token server', details);
  }

  private context() {
    return { registry: this.options.registry };
  }

  private realmUrl(realm: string, withCredentials: boolean): URL {
    return checkedRealm(realm, withCredentials, {
      registry: this.options.registry,
      baseUrl: this.options.baseUrl,
      tokenRealmHosts: this.options.tokenRealmHosts ?? [],
    });
  }

  private async send(
    url: URL,
    init: {
      method: 'GET' | 'POST';
      headers: Record<string, string>;
      body?: string;
      signal?: AbortSignal;
    },
  ): Promise<TokenResponse> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.options.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: init.method,
        headers: { ...init.headers, 'user-agent': 'regrelay' },
        body: init.body,
        signal: init.signal,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason;
      // The address policy refused the realm's host: say so, do not retry.
      if (error instanceof RegistryError) throw error;
      // The cause may carry the request; keep only its code.
      const code = (error as { code?: string }).code;
      throw new TransientError(
        `token server unreachable${code ? ` (${code})` : ''}`,
        this.context(),
      );
    }
    const text = await readCapped(response.body, MAX_TOKEN_RESPONSE_BYTES);
    return { status: response.statusCode, text };
  }
}

interface TokenResponse {
  status: number;
  text: string;
}

function schemeFrom(header: string | string[] | undefined): Scheme | undefined {
  const challenges = parseWwwAuthenticate(header);
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
  if (bearer)
    return { kind: 'bearer', realm: bearer.params.realm!, service: bearer.params.service };
  if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
  return undefined;
}

function basicValue(c: Credentials): string {
  return Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

/** Reads a small body as text, refusing to hold more than `limit` bytes. */
export async function readCapped(
  body: AsyncIterable<Uint8Array> & { destroy?(): void },
  limit: number,
) {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    // Leaving the loop closes the stream.
    if (total > limit) break;
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts).toString('utf8');
}
