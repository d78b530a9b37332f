import { createHash } from 'node:crypto';
import { isDigest, isRepository, isTag } from '../oci/index.js';
import {
  isPlainObject,
  parseJsonBody,
  requireContentType,
  shown,
  WebhookPayloadError,
  type EventActionLabel,
  type InboxAction,
  type ParsedWebhook,
} from './inbox-event.js';

export const HARBOR_CONTENT_TYPES = ['application/json'] as const;

/** The Harbor event types regrelay acts on. */
const ACTED_ON: Record<string, InboxAction> = {
  PUSH_ARTIFACT: 'push',
  DELETE_ARTIFACT: 'delete',
};

/**
 * Harbor's other webhook event types: accepted and ignored, so a webhook with every
 * event ticked neither fails nor is retried.
 */
const IGNORED: Record<string, EventActionLabel> = {
  PULL_ARTIFACT: 'pull',
  SCANNING_COMPLETED: 'other',
  SCANNING_FAILED: 'other',
  SCANNING_STOPPED: 'other',
  QUOTA_EXCEED: 'other',
  QUOTA_WARNING: 'other',
  REPLICATION: 'other',
  TAG_RETENTION: 'other',
};

/**
 * Reads a Harbor webhook payload in Harbor's "Default" format:
 * `{type, occur_at, operator, event_data: {resources: [{digest, tag, resource_url}],
 * repository: {name, namespace, repo_full_name, repo_type}}}`.
 *
 * Harbor sends no event id, so one is derived from what identifies the event (type,
 * time, repository, digest, tag): a redelivered payload dedupes, a new push does not.
 *
 * Harbor names an artifact's first tag, or its digest when it has none, in `tag`.
 * A push without a tag is ignored like distribution's digest-only pushes. A
 * DELETE_ARTIFACT removes the artifact with every tag it had, yet names at most one,
 * so it is kept as a delete by digest: every tag of the repository is re-examined.
 */
export function parseHarborPayload(contentType: string | undefined, body: Buffer): ParsedWebhook {
  requireContentType(contentType, HARBOR_CONTENT_TYPES);
  const payload = parseJsonBody(body);
  if (!isPlainObject(payload)) throw new WebhookPayloadError('body', 'expected a JSON object');
  if ('specversion' in payload) {
    throw new WebhookPayloadError(
      'specversion',
      'CloudEvents payloads are not read; set the Harbor webhook\'s payload format to "Default"',
    );
  }
  const type = payload.type;
  if (typeof type !== 'string' || !(type in ACTED_ON || type in IGNORED)) {
    throw new WebhookPayloadError(
      'type',
      `unknown Harbor event type ${shown(type)}; regrelay acts on ${Object.keys(ACTED_ON).join(', ')}`,
    );
  }
  const ignoredAs = IGNORED[type];
  if (ignoredAs) return { events: [], ignored: [{ action: ignoredAs, reason: `${type} events` }] };

  const action = ACTED_ON[type]!;
  const fail = (field: string, reason: string) => new WebhookPayloadError(field, reason, action);
  const occurAt = payload.occur_at;
  if (typeof occurAt !== 'number' || !Number.isSafeInteger(occurAt) || occurAt <= 0) {
    throw fail('occur_at', `expected Unix seconds, got ${shown(occurAt)}`);
  }
  if (payload.operator !== undefined && typeof payload.operator !== 'string') {
    throw fail('operator', 'expected a string');
  }
  const data = payload.event_data;
  if (!isPlainObject(data)) throw fail('event_data', 'expected an object');
  const repo = data.repository;
  if (!isPlainObject(repo)) throw fail('event_data.repository', 'expected an object');
  const repository = repo.repo_full_name;
  if (typeof repository !== 'string' || !isRepository(repository)) {
    throw fail(
      'event_data.repository.repo_full_name',
      `is not a valid repository name: ${shown(repository)}`,
    );
  }
  for (const key of ['name', 'namespace'] as const) {
    if (repo[key] !== undefined && typeof repo[key] !== 'string') {
      throw fail(`event_data.repository.${key}`, 'expected a string');
    }
  }
  const resources = data.resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    throw fail('event_data.resources', 'expected a non-empty array');
  }

  const parsed: ParsedWebhook = { events: [], ignored: [] };
  const occurredAt = new Date(occurAt * 1000);
  resources.forEach((resource, index) => {
    const at = `event_data.resources[${index}]`;
    if (!isPlainObject(resource)) throw fail(at, 'expected an object');
    const digest = resource.digest;
    if (typeof digest !== 'string' || !isDigest(digest)) {
      throw fail(`${at}.digest`, `is not a valid digest: ${shown(digest)}`);
    }
    const reference = resource.tag ?? '';
    if (typeof reference !== 'string') throw fail(`${at}.tag`, 'expected a string');
    const byDigest = reference === '' || reference === digest;
    if (!byDigest && !isTag(reference)) {
      throw fail(`${at}.tag`, `is neither a valid tag nor the digest: ${shown(reference)}`);
    }
    if (resource.resource_url !== undefined && typeof resource.resource_url !== 'string') {
      throw fail(`${at}.resource_url`, 'expected a string');
    }
    const tag = byDigest ? null : reference;
    const eventId = harborEventId(type, occurAt, repository, digest, tag);
    if (action === 'push' && tag === null) {
      parsed.ignored.push({
        action,
        reason: 'an artifact pushed without a tag; the tag push that follows brings it along',
      });
    } else if (action === 'push') {
      parsed.events.push({
        eventId,
        action,
        repository,
        tag,
        digest,
        mediaType: null,
        occurredAt,
      });
    } else {
      parsed.events.push({
        eventId,
        action,
        repository,
        tag: null,
        digest,
        mediaType: null,
        occurredAt,
      });
    }
  });
  return parsed;
}

/** A stable id for a Harbor event, which carries none of its own. */
export function harborEventId(
  type: string,
  occurAt: number,
  repository: string,
  digest: string,
  tag: string | null,
): string {
  const identity = JSON.stringify([type, occurAt, repository, digest, tag]);
  return `harbor:${createHash('sha256').update(identity).digest('hex')}`;
}
