import { z } from 'zod';
import { isKnownManifest } from '../oci/index.js';
import {
  emptyParse,
  isPlainObject,
  shown,
  type EventActionLabel,
  type InboxEvent,
  type ParsedWebhook,
} from './inbox-event.js';
import {
  digestValue,
  eventId,
  firstIssue,
  optional,
  property,
  rejectedEvent,
  repositoryName,
  rfc3339Time,
  tagName,
} from './payload-fields.js';

/** distribution 2.x sends v1, 3.x v2; curl and proxies often say plain JSON. */
export const DISTRIBUTION_CONTENT_TYPES = [
  'application/vnd.docker.distribution.events.v1+json',
  'application/vnd.docker.distribution.events.v2+json',
  'application/json',
] as const;

const ACTIONS = ['push', 'pull', 'mount', 'delete'];

const Target = z.looseObject(
  {
    repository: repositoryName,
    digest: optional(digestValue),
    tag: optional(tagName),
    mediaType: optional(z.string().max(255, 'expected a media type of at most 255 characters')),
    url: optional(z.string({ error: 'expected a string' })),
  },
  { error: 'expected a target object' },
);

const Event = z.looseObject({
  id: eventId,
  timestamp: rfc3339Time,
  target: Target,
});

/**
 * Reads distribution's notification envelope, `{"events": [...]}`, event by event.
 *
 * Kept: manifests pushed by tag; manifests pushed by digest alone (a referrer — a
 * signature, an SBOM — pushed after its image is replicated, which only its own push
 * announces; index children pushed before their index cost the planner one read);
 * deletes of a tag, of a manifest by digest (which removes every tag pointing at it)
 * and, from distribution 3.x, of a whole repository (target names only the
 * repository). Ignored: pulls and mounts (they change nothing) and blob uploads.
 * Rejected, each on its own: an event with an unknown action, a bad id, timestamp,
 * repository, tag or digest; the others of the envelope are still kept.
 */
export function parseDistributionEnvelope(document: unknown): ParsedWebhook {
  const parsed = emptyParse();
  if (!isPlainObject(document) || !Array.isArray(document.events)) {
    parsed.rejected.push(
      rejectedEvent(
        { raw: document, action: 'unknown', idPrefix: 'distribution' },
        {
          field: 'events',
          reason: 'expected a notification envelope: an object with an "events" array',
        },
      ),
    );
    return parsed;
  }
  document.events.forEach((raw, index) => readEvent(raw, `events[${index}]`, parsed));
  return parsed;
}

function readEvent(raw: unknown, at: string, into: ParsedWebhook): void {
  const action = property(raw, 'action');
  if (action === 'pull' || action === 'mount') {
    into.ignored.push({ action, reason: `${action}s change nothing at the source` });
    return;
  }
  const label: EventActionLabel = action === 'push' || action === 'delete' ? action : 'unknown';
  const target = property(raw, 'target');
  const reject = (field: string, reason: string) => {
    const time = rfc3339Time.safeParse(property(raw, 'timestamp'));
    into.rejected.push(
      rejectedEvent(
        {
          raw,
          id: property(raw, 'id'),
          action: label,
          repository: property(target, 'repository'),
          tag: property(target, 'tag'),
          digest: property(target, 'digest'),
          occurredAt: time.success ? time.data : null,
          idPrefix: 'distribution',
        },
        { field, reason },
      ),
    );
  };
  if (!isPlainObject(raw)) return reject(at, 'expected an event object');
  if (label === 'unknown') {
    return reject(
      `${at}.action`,
      `unknown action ${shown(action)}; distribution sends ${ACTIONS.join(', ')}`,
    );
  }
  const result = Event.safeParse(raw);
  if (!result.success) {
    const { field, reason } = firstIssue(result.error, at);
    return reject(field, reason);
  }
  const { id, timestamp, target: t } = result.data;
  const event: InboxEvent = {
    eventId: id,
    action: label,
    repository: t.repository,
    tag: t.tag ?? null,
    digest: t.digest ?? null,
    mediaType: t.mediaType ?? null,
    occurredAt: timestamp,
  };
  if (label === 'push') {
    if (!event.digest)
      return reject(`${at}.target.digest`, 'a push must name the digest it stored');
    if (!event.tag && !(event.mediaType && isKnownManifest(event.mediaType))) {
      into.ignored.push({
        action: label,
        reason: 'a blob upload; the manifest push that follows brings it along',
      });
      return;
    }
  }
  into.events.push(event);
}
