/**
 * Typed errors of the OCI client, and the one place where an HTTP status and an OCI
 * error body become one of them. Callers test the class (`instanceof NotFoundError`),
 * never parse messages.
 *
 * Messages are built only from safe parts (registry name, repository, reference, the
 * registry's own code and message after redaction): never from request headers, so
 * credentials and tokens cannot leak into logs through an error.
 */

/** Where an error happened, as a person would want to read it. */
export interface ErrorContext {
  /** The client's name for the registry endpoint (not necessarily its host). */
  registry: string;
  repository?: string;
  /** Digest or tag. */
  reference?: string;
}

export interface RegistryErrorDetails extends ErrorContext {
  /** HTTP status, when the error came from a response. */
  status?: number;
  /** The registry's error code (`MANIFEST_UNKNOWN`…), when it sent one. */
  code?: string;
  /** The registry's own message, redacted. */
  registryMessage?: string;
  cause?: unknown;
}

/** Base class: everything the client throws on purpose is one of these. */
export abstract class RegistryError extends Error {
  readonly registry: string;
  readonly repository?: string;
  readonly reference?: string;
  readonly status?: number;
  readonly code?: string;
  readonly registryMessage?: string;
  /** What a person could try next. */
  abstract readonly hint: string;
  /** Whether the retry policy may try the same request again. */
  readonly retryable: boolean = false;

  constructor(summary: string, details: RegistryErrorDetails) {
    super(composeMessage(summary, details), details.cause ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    this.registry = details.registry;
    this.repository = details.repository;
    this.reference = details.reference;
    this.status = details.status;
    this.code = details.code;
    this.registryMessage = details.registryMessage;
  }
}

function composeMessage(summary: string, d: RegistryErrorDetails): string {
  const where = [d.repository, d.reference]
    .filter(Boolean)
    .join(d.reference?.includes(':') ? '@' : ':');
  let text = `${d.registry}${where ? ` ${where}` : ''}: ${summary}`;
  const said = [d.code, d.registryMessage].filter(Boolean).join(' ');
  if (said) text += ` (registry said: ${said})`;
  if (d.status !== undefined) text += ` [HTTP ${d.status}]`;
  return text;
}

export class NotFoundError extends RegistryError {
  readonly hint =
    'Check the repository name and the tag or digest; the content may have been deleted.';
}

export class UnauthorizedError extends RegistryError {
  readonly hint = 'Check the username and password (or token) configured for this registry.';
}

export class DeniedError extends RegistryError {
  readonly hint =
    'The credentials were accepted but lack permission for this repository and action; grant pull/push (or delete) rights.';
}

/**
 * The namespace a repository lives in does not exist and is not created by a push:
 * Harbor answers so for a project nobody created. Not retryable: someone must create
 * it, or the destination must map to one that exists.
 */
export class MissingNamespaceError extends RegistryError {
  readonly hint: string;
  /** The namespace (Harbor project) the registry says does not exist. */
  readonly namespace: string;
  constructor(summary: string, details: RegistryErrorDetails & { namespace: string }) {
    super(summary, details);
    this.namespace = details.namespace;
    this.hint =
      `Create the project "${details.namespace}" at this registry (Harbor: Projects → New Project) and ` +
      'give the account regrelay uses push access to it, or map the destination to an existing ' +
      "project (the policy destination's namespace).";
  }
}

export class RateLimitedError extends RegistryError {
  readonly hint = 'The registry is rate limiting: lower concurrency or bandwidth for it, or wait.';
  override readonly retryable = true;
  /** How long the registry asked us to wait, when it said so. */
  readonly retryAfterMs?: number;
  constructor(summary: string, details: RegistryErrorDetails & { retryAfterMs?: number }) {
    super(summary, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

export class UnsupportedError extends RegistryError {
  readonly hint = 'This registry does not offer the operation; use a fallback or skip it.';
}

export class DigestMismatchError extends RegistryError {
  readonly hint =
    'The bytes read do not match their digest or size: the source may be corrupt or lying; nothing was committed at the destination.';
  readonly expected: string;
  readonly actual: string;
  constructor(
    summary: string,
    details: RegistryErrorDetails & { expected: string; actual: string },
  ) {
    super(`${summary}: expected ${details.expected}, got ${details.actual}`, details);
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

export class TooLargeError extends RegistryError {
  readonly hint = 'Raise the configured limit (manifestMaxBytes) if this content is legitimate.';
  readonly limit: number;
  constructor(summary: string, details: RegistryErrorDetails & { limit: number }) {
    super(summary, details);
    this.limit = details.limit;
  }
}

/** Network failures, timeouts and 5xx answers that may pass. */
export class TransientError extends RegistryError {
  readonly hint =
    'A network or server failure that may pass; it was retried. Check the registry health.';
  override readonly retryable = true;
}

/** The registry broke the protocol: bad JSON, missing headers, redirect loops, odd statuses. */
export class ProtocolError extends RegistryError {
  readonly hint =
    'The registry answered something the distribution protocol does not allow; report it to its operator.';
}

/** A repository name, tag or digest that fails the spec grammar; nothing was sent. */
export class InvalidReferenceError extends RegistryError {
  readonly hint =
    'Fix the repository name, tag or digest: it does not follow the OCI distribution grammar.';
}

/**
 * A token realm regrelay will not use: it downgrades an https registry to http, or
 * lives on another host that the registry's settings do not list, while the
 * request would carry the registry's credentials there.
 */
export class UntrustedRealmError extends RegistryError {
  readonly hint: string;
  readonly realm: string;
  constructor(summary: string, details: RegistryErrorDetails & { realm: string; hint: string }) {
    super(summary, details);
    this.realm = details.realm;
    this.hint = details.hint;
  }
}

/**
 * The outbound address policy (REGRELAY_DENY_NETWORKS / REGRELAY_ALLOW_NETWORKS)
 * refused a connection before it was made: the host resolved to a denied address.
 */
export class AddressDeniedError extends RegistryError {
  readonly hint =
    'The address is in REGRELAY_DENY_NETWORKS (link-local and cloud metadata by default). If this host is a registry you trust, add its network to REGRELAY_ALLOW_NETWORKS.';
  readonly host: string;
  readonly address: string;
  readonly rule: string;
  constructor(details: RegistryErrorDetails & { host: string; address: string; rule: string }) {
    super(
      `connection to ${details.host} (${details.address}) refused by the outbound address policy: ${details.address} is in denied network ${details.rule}`,
      details,
    );
    this.host = details.host;
    this.address = details.address;
    this.rule = details.rule;
  }
}

/** The OCI error body: `{"errors":[{"code","message","detail"}]}`. */
interface OciErrorBody {
  errors?: { code?: unknown; message?: unknown }[];
}

/** The longest registry message kept; OCI messages are one short sentence. */
const MAX_MESSAGE_CHARS = 200;

/**
 * The first error code and message of an OCI error body, and nothing else. What a
 * registry's answer holds beyond that (an HTML page from a proxy, a stack trace,
 * echoed request headers, megabytes of anything) is not kept: the result ends up
 * in task reasons, ping results and logs. The message is cut to one line of
 * MAX_MESSAGE_CHARS; markup is dropped.
 */
export function parseErrorBody(text: string): { code?: string; message?: string } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return {};
  let body: OciErrorBody;
  try {
    body = JSON.parse(trimmed) as OciErrorBody;
  } catch {
    return {};
  }
  const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
  if (!first) return {};
  const code =
    typeof first.code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(first.code)
      ? first.code
      : undefined;
  const message = typeof first.message === 'string' ? oneLine(first.message) : undefined;
  return { code, message: message || undefined };
}

function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = message.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  if (/<\/?[a-z!][^>]*>/i.test(flat)) return '';
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS)}…` : flat;
}

export interface ResponseFacts {
  status: number;
  method: string;
  /** The raw error body (already capped by the caller). */
  bodyText: string;
  retryAfter?: string | null;
  /** Removes secrets from registry-supplied text. */
  redact?: (text: string) => string;
}

/**
 * Harbor's answer to any request into a project that does not exist (its v2auth
 * middleware, Harbor 2.x): 401, an empty WWW-Authenticate, and
 * `{"errors":[{"code":"UNAUTHORIZED","message":"project nope not found: project nope not found"}]}`.
 */
const HARBOR_MISSING_PROJECT = /^project (\S+) not found\b/;

/** The single mapping from an unexpected HTTP answer to a typed error. */
export function errorFromResponse(facts: ResponseFacts, context: ErrorContext): RegistryError {
  const { code, message } = parseErrorBody(facts.bodyText);
  const details: RegistryErrorDetails = {
    ...context,
    status: facts.status,
    code,
    registryMessage: message && facts.redact ? facts.redact(message) : message,
  };
  const s = facts.status;
  const project = message ? HARBOR_MISSING_PROJECT.exec(message)?.[1] : undefined;
  if (project && (s === 401 || s === 403 || s === 404)) {
    return new MissingNamespaceError(`the project "${project}" does not exist at this registry`, {
      ...details,
      namespace: project,
    });
  }
  if (s === 429 || code === 'TOOMANYREQUESTS') {
    return new RateLimitedError('rate limited', {
      ...details,
      retryAfterMs: parseRetryAfter(facts.retryAfter),
    });
  }
  if (s === 401) return new UnauthorizedError('authentication failed', details);
  if (s === 403) return new DeniedError('access denied', details);
  if (s === 404) return new NotFoundError(`${facts.method} found nothing`, details);
  if (s === 405 || s === 501 || code === 'UNSUPPORTED') {
    return new UnsupportedError(`${facts.method} is not supported here`, details);
  }
  if (s === 413)
    return new TooLargeError('the registry refused the size', { ...details, limit: 0 });
  if (s === 503 && facts.retryAfter) {
    // A 503 with Retry-After is throttling in disguise; honour the wait.
    return new RateLimitedError('unavailable, asked to retry later', {
      ...details,
      retryAfterMs: parseRetryAfter(facts.retryAfter),
    });
  }
  if (s === 408 || s === 500 || s === 502 || s === 503 || s === 504) {
    return new TransientError('the registry failed for now', details);
  }
  return new ProtocolError(`unexpected answer to ${facts.method}`, details);
}

/** `Retry-After` is seconds or an HTTP date; returns milliseconds, or undefined. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
