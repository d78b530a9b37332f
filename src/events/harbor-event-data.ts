import { z } from 'zod';
import { isTag } from '../oci/index.js';
import {
  shown,
  type EventActionLabel,
  type InboxAction,
  type ParsedWebhook,
} from './inbox-event.js';
import {
  digestValue,
  firstIssue,
  optional,
  property,
  rejectedEvent,
  repositoryName,
} from './payload-fields.js';

/** A Harbor webhook event type, by its Default name and its CloudEvents name. */
interface HarborType {
  name: string;
  cloudEvent: string;
  /** What regrelay does with it: acts on it, or ignores it under this label. */
  acted?: InboxAction;
  ignoredAs?: EventActionLabel;
}

/**
 * Harbor's webhook event types (Default names, and the CloudEvents names of Harbor
 * 2.8+'s formatter). Pushes and deletes are acted on; the rest are accepted and
 * ignored, so a webhook with every event ticked costs nothing.
 */
const TYPES: HarborType[] = [
  { name: 'PUSH_ARTIFACT', cloudEvent: 'harbor.artifact.pushed', acted: 'push' },
  { name: 'DELETE_ARTIFACT', cloudEvent: 'harbor.artifact.deleted', acted: 'delete' },
  { name: 'PULL_ARTIFACT', cloudEvent: 'harbor.artifact.pulled', ignoredAs: 'pull' },
  { name: 'SCANNING_COMPLETED', cloudEvent: 'harbor.scan.completed', ignoredAs: 'other' },
  { name: 'SCANNING_FAILED', cloudEvent: 'harbor.scan.failed', ignoredAs: 'other' },
  { name: 'SCANNING_STOPPED', cloudEvent: 'harbor.scan.stopped', ignoredAs: 'other' },
  { name: 'QUOTA_EXCEED', cloudEvent: 'harbor.quota.exceeded', ignoredAs: 'other' },
  { name: 'QUOTA_WARNING', cloudEvent: 'harbor.quota.warned', ignoredAs: 'other' },
  { name: 'REPLICATION', cloudEvent: 'harbor.replication.status.changed', ignoredAs: 'other' },
  { name: 'TAG_RETENTION', cloudEvent: 'harbor.tag_retention.finished', ignoredAs: 'other' },
];

/**
 * The type of a Harbor event, by its Default or CloudEvents name, when regrelay acts
 * on it. An ignored type is recorded as ignored, an unknown one is rejected; both
 * give undefined.
 */
export function actedHarborType(
  value: unknown,
  format: 'name' | 'cloudEvent',
  into: ParsedWebhook,
  reject: (field: string, reason: string) => void,
): { name: string; acted: InboxAction } | undefined {
  const type = TYPES.find((t) => t[format] === value);
  if (!type) {
    const known = TYPES.filter((t) => t.acted).map((t) => t[format]);
    reject(
      'type',
      `unknown Harbor ${format === 'name' ? 'event' : 'CloudEvents'} type ${shown(value)}; regrelay acts on ${known.join(', ')}`,
    );
    return undefined;
  }
  if (type.ignoredAs) {
    into.ignored.push({ action: type.ignoredAs, reason: `${type[format]} events` });
    return undefined;
  }
  return { name: type.name, acted: type.acted! };
}

const Resource = z.looseObject(
  {
    digest: digestValue,
    tag: optional(z.string({ error: 'expected a string' })),
    resource_url: optional(z.string({ error: 'expected a string' })),
  },
  { error: 'expected a resource object' },
);

const EventData = z.looseObject(
  {
    repository: z.looseObject(
      {
        repo_full_name: repositoryName,
        name: optional(z.string({ error: 'expected a string' })),
        namespace: optional(z.string({ error: 'expected a string' })),
      },
      { error: 'expected a repository object' },
    ),
    resources: z
      .array(z.unknown(), { error: 'expected an array of resources' })
      .min(1, 'expected a non-empty array of resources'),
  },
  { error: 'expected an object with repository and resources' },
);

export interface HarborEvent {
  /** The Default type name (PUSH_ARTIFACT…), also for CloudEvents. */
  type: string;
  action: InboxAction;
  occurredAt: Date;
  /** Where the event data is in the payload: `event_data` (Default) or `data` (CloudEvents). */
  at: string;
  /** The event's id for one resource of it. */
  idOf(resource: {
    index: number;
    count: number;
    repository: string;
    digest: string;
    tag: string | null;
  }): string;
  /** The event's own id (CloudEvents), kept by its rejected parts too. */
  ownId?: string;
  /** Id prefix for rejected parts without an id of their own. */
  idPrefix: string;
  raw: unknown;
}

/**
 * Reads the event data both Harbor formats share, `{resources: [{digest, tag,
 * resource_url}], repository: {name, namespace, repo_full_name, repo_type}}`, into
 * one event per resource.
 *
 * Harbor names an artifact's first tag, or its digest when it has none, in `tag`. A
 * push without a tag is ignored like distribution's digest-only pushes. An artifact
 * deletion removes the artifact with every tag it had, yet names at most one, so it
 * is kept as a delete by digest: every tag of the repository is re-examined. A bad
 * resource is rejected on its own; a bad repository rejects the whole event.
 */
export function readHarborEventData(data: unknown, event: HarborEvent, into: ParsedWebhook): void {
  const reject = (
    problem: { field: string; reason: string },
    raw: unknown,
    part?: { index: number; count: number; tag: unknown; digest: unknown },
  ) =>
    into.rejected.push(
      rejectedEvent(
        {
          raw: [event.raw, raw],
          id: event.ownId && part && part.count > 1 ? `${event.ownId}#${part.index}` : event.ownId,
          tag: part?.tag,
          digest: part?.digest,
          action: event.action,
          repository: property(property(data, 'repository'), 'repo_full_name'),
          occurredAt: event.occurredAt,
          idPrefix: event.idPrefix,
        },
        problem,
      ),
    );
  const parsed = EventData.safeParse(data);
  if (!parsed.success) return void reject(firstIssue(parsed.error, event.at), data);
  const repository = parsed.data.repository.repo_full_name;
  const resources = parsed.data.resources;
  resources.forEach((raw, index) => {
    const at = `${event.at}.resources[${index}]`;
    const details = {
      index,
      count: resources.length,
      tag: property(raw, 'tag'),
      digest: property(raw, 'digest'),
    };
    const resource = Resource.safeParse(raw);
    if (!resource.success) return void reject(firstIssue(resource.error, at), raw, details);
    const { digest } = resource.data;
    const reference = resource.data.tag ?? '';
    const byDigest = reference === '' || reference === digest;
    if (!byDigest && !isTag(reference)) {
      return void reject(
        {
          field: `${at}.tag`,
          reason: `is neither a valid tag nor the digest: ${shown(reference)}`,
        },
        raw,
        details,
      );
    }
    const tag = byDigest ? null : reference;
    if (event.action === 'push' && tag === null) {
      into.ignored.push({
        action: 'push',
        reason: 'an artifact pushed without a tag; the tag push that follows brings it along',
      });
      return;
    }
    into.events.push({
      eventId: event.idOf({ index, count: resources.length, repository, digest, tag }),
      action: event.action,
      repository,
      // A deleted artifact took every tag it had: re-examine them all.
      tag: event.action === 'delete' ? null : tag,
      digest,
      mediaType: null,
      occurredAt: event.occurredAt,
    });
  });
}
