/** The webhook formats regrelay reads. */
export type WebhookFormat = 'distribution' | 'harbor';

/** What an event kept in the inbox says happened. */
export type InboxAction = 'push' | 'delete';

/**
 * The `action` label of `regrelay_events_received_total`: a fixed set, so a payload
 * can never invent label values.
 */
export type EventActionLabel = 'push' | 'delete' | 'pull' | 'mount' | 'other' | 'unknown';

/** A notification worth acting on, as read from a webhook payload. */
export interface InboxEvent {
  /** Unique per registry: a redelivered event has the same id. */
  eventId: string;
  action: InboxAction;
  repository: string;
  /** Null: a manifest deleted by digest (every tag that pointed at it went with it). */
  tag: string | null;
  /** Null only for distribution's tag deletes, which name the tag alone. */
  digest: string | null;
  mediaType: string | null;
  occurredAt: Date;
}

/** A notification accepted but not acted on (a pull, a blob upload, …), and why. */
export interface IgnoredEvent {
  action: EventActionLabel;
  reason: string;
}

export interface ParsedWebhook {
  events: InboxEvent[];
  ignored: IgnoredEvent[];
}

/**
 * A webhook body regrelay cannot accept: 400 (or 415 for a content type it does not
 * read), with the offending field and why; nothing of the request is stored.
 */
export class WebhookPayloadError extends Error {
  override name = 'WebhookPayloadError';
  constructor(
    /** Path into the payload, e.g. `events[2].target.repository`. */
    readonly field: string,
    readonly reason: string,
    /** The event's action when it was known, for the metric. */
    readonly action: EventActionLabel = 'unknown',
    readonly status: 400 | 415 = 400,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** Throws a 415 WebhookPayloadError unless the content type is one of `accepted`. */
export function requireContentType(
  contentType: string | undefined,
  accepted: readonly string[],
): void {
  const type = mediaTypeOf(contentType);
  if (type && accepted.includes(type)) return;
  throw new WebhookPayloadError(
    'Content-Type',
    `${type ? `"${type}" is` : 'a missing Content-Type is'} not accepted here; send one of ${accepted.join(', ')}`,
    'unknown',
    415,
  );
}

/** The body as JSON: strict UTF-8, a JSON document, or a WebhookPayloadError. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0)
    throw new WebhookPayloadError('body', 'is empty; expected a JSON document');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new WebhookPayloadError('body', 'is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WebhookPayloadError('body', `is not valid JSON (${(error as Error).message})`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short printable string for error messages (payload values can be anything). */
export function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
