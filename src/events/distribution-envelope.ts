import { isDigest, isKnownManifest, isRepository, isTag } from '../oci/index.js';
import {
  isPlainObject,
  parseJsonBody,
  requireContentType,
  shown,
  WebhookPayloadError,
  type ParsedWebhook,
} from './inbox-event.js';

/** distribution 2.x sends v1, 3.x v2; curl and proxies often say plain JSON. */
export const DISTRIBUTION_CONTENT_TYPES = [
  'application/vnd.docker.distribution.events.v1+json',
  'application/vnd.docker.distribution.events.v2+json',
  'application/json',
] as const;

const ACTIONS = ['push', 'pull', 'mount', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

/** RFC 3339, as Go's time.Time marshals it (nanoseconds allowed, offset required). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const MAX_ID_LENGTH = 256;
const MAX_MEDIA_TYPE_LENGTH = 255;

/**
 * Reads distribution's notification envelope, `{"events": [...]}`.
 *
 * Every event is checked (id, timestamp, action, target) and one bad event rejects
 * the whole envelope: distribution then redelivers it, so storing half of it would
 * only hide the problem. What is kept: manifests pushed by tag, and deletes (of a tag,
 * or of a manifest by digest, which removes every tag pointing at it). What is
 * accepted but ignored: pulls and mounts (they change nothing), blob uploads, and
 * manifests pushed by digest alone (index children and referrers, whose tagged parent
 * or subject brings them along).
 */
export function parseDistributionEnvelope(
  contentType: string | undefined,
  body: Buffer,
): ParsedWebhook {
  requireContentType(contentType, DISTRIBUTION_CONTENT_TYPES);
  const document = parseJsonBody(body);
  if (!isPlainObject(document) || !Array.isArray(document.events)) {
    throw new WebhookPayloadError(
      'events',
      'expected a notification envelope: an object with an "events" array',
    );
  }
  const parsed: ParsedWebhook = { events: [], ignored: [] };
  document.events.forEach((raw, index) => readEvent(raw, `events[${index}]`, parsed));
  return parsed;
}

function readEvent(raw: unknown, at: string, into: ParsedWebhook): void {
  if (!isPlainObject(raw)) throw new WebhookPayloadError(at, 'expected an event object');
  const action = readAction(raw.action, `${at}.action`);
  const fail = (field: string, reason: string) =>
    new WebhookPayloadError(`${at}.${field}`, reason, action);

  const eventId = raw.id;
  if (typeof eventId !== 'string' || !eventId.trim() || eventId.length > MAX_ID_LENGTH) {
    throw fail('id', `expected a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  const occurredAt = readTimestamp(raw.timestamp);
  if (!occurredAt) {
    throw fail('timestamp', `expected an RFC 3339 time, got ${shown(raw.timestamp)}`);
  }
  const target = raw.target;
  if (!isPlainObject(target)) throw fail('target', 'expected an object');
  const repository = target.repository;
  if (typeof repository !== 'string' || !isRepository(repository)) {
    throw fail('target.repository', `is not a valid repository name: ${shown(repository)}`);
  }
  const mediaType = optionalString(target.mediaType);
  if (mediaType === false || (mediaType && mediaType.length > MAX_MEDIA_TYPE_LENGTH)) {
    throw fail('target.mediaType', `expected a media type string, got ${shown(target.mediaType)}`);
  }
  const digest = optionalString(target.digest);
  if (digest === false || (digest !== null && !isDigest(digest))) {
    throw fail('target.digest', `is not a valid digest: ${shown(target.digest)}`);
  }
  const tag = optionalString(target.tag);
  if (tag === false || (tag !== null && !isTag(tag))) {
    throw fail('target.tag', `is not a valid tag: ${shown(target.tag)}`);
  }
  if (target.url !== undefined && typeof target.url !== 'string') {
    throw fail('target.url', 'expected a string');
  }

  switch (action) {
    case 'pull':
    case 'mount':
      into.ignored.push({ action, reason: `${action}s change nothing at the source` });
      return;
    case 'push':
      if (!digest) throw fail('target.digest', 'a push must name the digest it stored');
      if (!tag) {
        into.ignored.push({
          action,
          reason:
            mediaType && isKnownManifest(mediaType)
              ? 'a manifest pushed by digest only; the tag push that follows brings it along'
              : 'a blob upload; the manifest push that follows brings it along',
        });
        return;
      }
      into.events.push({ eventId, action, repository, tag, digest, mediaType, occurredAt });
      return;
    case 'delete':
      if (!tag && !digest) throw fail('target', 'a delete must name a tag or a digest');
      into.events.push({ eventId, action, repository, tag, digest, mediaType, occurredAt });
      return;
  }
}

function readAction(value: unknown, field: string): Action {
  if (typeof value === 'string' && (ACTIONS as readonly string[]).includes(value)) {
    return value as Action;
  }
  throw new WebhookPayloadError(
    field,
    `unknown action ${shown(value)}; distribution sends ${ACTIONS.join(', ')}`,
  );
}

function readTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The string, null when absent or empty, false when present but not a string. */
function optionalString(value: unknown): string | null | false {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'string' ? value : false;
}
