import { z } from 'zod';
import { isDigest, isRepository, isTag } from '../oci/index.js';
import {
  derivedEventId,
  isPlainObject,
  shown,
  type EventActionLabel,
  type RejectedEvent,
} from './inbox-event.js';

/**
 * Field schemas shared by the webhook payload readers. Names from registries are
 * data: each is checked against the distribution grammar before it is stored, so a
 * stored event can always be turned into a request.
 */

const gotString = (what: string) =>
  z.string({ error: (issue) => `expected ${what}, got ${shown(issue.input)}` });

export const repositoryName = gotString('a repository name').refine(isRepository, {
  error: (issue) => `is not a valid repository name: ${shown(issue.input)}`,
});

export const tagName = gotString('a tag').refine(isTag, {
  error: (issue) => `is not a valid tag: ${shown(issue.input)}`,
});

export const digestValue = gotString('a digest').refine(isDigest, {
  error: (issue) => `is not a valid sha256 or sha512 digest: ${shown(issue.input)}`,
});

export const eventId = gotString('an event id')
  .trim()
  .min(1, 'expected a non-empty event id')
  .max(256, 'expected an event id of at most 256 characters');

/** RFC 3339, as Go's time.Time marshals it (nanoseconds allowed, offset required). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export const rfc3339Time = gotString('an RFC 3339 time')
  .refine((value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)), {
    error: (issue) => `expected an RFC 3339 time, got ${shown(issue.input)}`,
  })
  .transform((value) => new Date(value));

/** An optional field where registries write "" or null for "none". */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value) => (value === '' || value === null ? undefined : value),
    schema.optional(),
  );
}

/** The first problem of a failed parse, as the field it is at and why. */
export function firstIssue(error: z.ZodError, at: string): { field: string; reason: string } {
  const issue = error.issues[0];
  if (!issue) return { field: at, reason: 'is invalid' };
  const path = issue.path.reduce<string>(
    (field, key) =>
      typeof key === 'number'
        ? `${field}[${key}]`
        : field
          ? `${field}.${String(key)}`
          : String(key),
    at,
  );
  return { field: path || 'body', reason: issue.message };
}

/** A string value for display, when the payload had one there (capped). */
function readable(value: unknown): string | null {
  return typeof value === 'string' && value ? value.slice(0, 256) : null;
}

/** What of an unusable event is worth showing, and where it came from. */
export interface RejectedSource {
  /** The raw event (or payload), for a stable id and what it named. */
  raw: unknown;
  /** Its own id, if it carried one. */
  id?: unknown;
  action: EventActionLabel;
  repository?: unknown;
  tag?: unknown;
  digest?: unknown;
  occurredAt?: Date | null;
  /** Prefix of the derived id when the event has no usable one of its own. */
  idPrefix: string;
}

/** A RejectedEvent for an event that could not be used, with the field and the reason. */
export function rejectedEvent(
  source: RejectedSource,
  problem: { field: string; reason: string },
): RejectedEvent {
  const own = eventId.safeParse(source.id);
  return {
    eventId: own.success ? own.data : derivedEventId(source.idPrefix, source.raw),
    action: source.action,
    field: problem.field,
    reason: problem.reason,
    repository: readable(source.repository),
    tag: readable(source.tag),
    digest: readable(source.digest),
    occurredAt: source.occurredAt ?? null,
  };
}

/** `value[key]` when value is an object (for reading what a broken event named). */
export function property(value: unknown, key: string): unknown {
  return isPlainObject(value) ? value[key] : undefined;
}
