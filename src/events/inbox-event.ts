import { createHash } from 'node:crypto';

/** The webhook formats regrelay reads: one route each (Harbor's route reads two payload formats). */
export const WEBHOOK_FORMATS = ['distribution', 'harbor', 'acr'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

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
  /** Null: a manifest or repository deleted (every tag that pointed at it went with it). */
  tag: string | null;
  /** Null for tag deletes and repository deletes, and ACR pushes that name none. */
  digest: string | null;
  mediaType: string | null;
  occurredAt: Date;
}

/** A notification accepted but not acted on (a pull, a blob upload, …), and why. */
export interface IgnoredEvent {
  action: EventActionLabel;
  reason: string;
}

/**
 * A notification regrelay cannot use (unreadable, unknown, invalid). It is stored
 * as `rejected` with the field and the reason, and answered 2xx like the others:
 * registries redeliver what they get a 4xx for, and distribution holds every later
 * envelope behind it, so refusing one bad event would stop all the others.
 */
export interface RejectedEvent {
  /** The event's own id when it had a usable one, else one derived from its content. */
  eventId: string;
  action: EventActionLabel;
  /** Path into the payload, e.g. `events[2].target.digest`. */
  field: string;
  reason: string;
  /** What the event named, as far as it could be read (for people looking at it). */
  repository: string | null;
  tag: string | null;
  digest: string | null;
  occurredAt: Date | null;
}

export interface ParsedWebhook {
  events: InboxEvent[];
  ignored: IgnoredEvent[];
  rejected: RejectedEvent[];
}

/** What a parser needs to know of the registry that sent the payload. */
export interface ParseContext {
  /** IANA time zone for timestamps without one (ACR). */
  timezone: string;
}

export type WebhookParser = (document: unknown, context: ParseContext) => ParsedWebhook;

export function emptyParse(): ParsedWebhook {
  return { events: [], ignored: [], rejected: [] };
}

/**
 * A webhook body that is not JSON at all: the one payload problem answered 400
 * (nothing in it can be stored, and no registry sends such a body).
 */
export class WebhookBodyError extends Error {
  override name = 'WebhookBodyError';
  readonly field = 'body';
  constructor(readonly reason: string) {
    super(`body: ${reason}`);
  }
}

/** The body as JSON: strict UTF-8, one JSON document, or a WebhookBodyError. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new WebhookBodyError('is empty; expected a JSON document');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new WebhookBodyError('is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WebhookBodyError(`is not valid JSON (${(error as Error).message})`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short printable string for reasons (payload values can be anything). */
export function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A stable id for an event that carries none (Harbor's Default format, ACR) or whose
 * own is unusable: the same content redelivered gets the same id, so it dedupes.
 */
export function derivedEventId(prefix: string, identity: unknown): string {
  const text = JSON.stringify(identity) ?? 'undefined';
  return `${prefix}:${createHash('sha256').update(text).digest('hex')}`;
}
