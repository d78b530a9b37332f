import { z } from 'zod';
import { wallTimeIn } from '../common/time-zone.js';
import { isRepository } from '../oci/index.js';
import {
  derivedEventId,
  emptyParse,
  isPlainObject,
  shown,
  type ParseContext,
  type ParsedWebhook,
} from './inbox-event.js';
import {
  digestValue,
  firstIssue,
  optional,
  property,
  rejectedEvent,
  tagName,
} from './payload-fields.js';

export const ACR_CONTENT_TYPES = ['application/json'] as const;

/** ACR pads some values with spaces (its samples end lines with `", `): read them trimmed. */
const trimmed = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' ? value.trim() : value), schema);

const text = z.string({ error: (issue) => `expected a string, got ${shown(issue.input)}` });

const AcrPayload = z.looseObject({
  push_data: z.looseObject(
    {
      digest: trimmed(optional(digestValue)),
      pushed_at: trimmed(text),
      tag: trimmed(tagName),
    },
    { error: 'expected an object with digest, pushed_at and tag' },
  ),
  repository: z.looseObject(
    {
      repo_full_name: trimmed(optional(text)),
      namespace: trimmed(optional(text)),
      name: trimmed(optional(text)),
      region: trimmed(optional(text)),
    },
    { error: 'expected an object with namespace, name and repo_full_name' },
  ),
});

/**
 * Reads Alibaba Cloud Container Registry's trigger notification (personal and
 * enterprise editions), one pushed tag per request:
 *
 * `{push_data: {digest, pushed_at: "2016-11-29 12:25:46", tag}, repository:
 * {date_created, name, namespace, region, repo_authentication_type, repo_full_name,
 * repo_origin_type, repo_type}}`
 *
 * `pushed_at` has no time zone: it is read in the registry's `timezone`. The
 * repository is `repo_full_name` (`namespace/name`). ACR sends no event id and no
 * deletes; the id is derived from repository, tag, digest and push time, so a
 * redelivery dedupes while a later push of the same tag does not. Unknown fields are
 * ignored and values are trimmed.
 */
export function parseAcrPayload(document: unknown, context: ParseContext): ParsedWebhook {
  const parsed = emptyParse();
  const pushData = property(document, 'push_data');
  const repo = property(document, 'repository');
  const reject = (field: string, reason: string, occurredAt: Date | null = null) =>
    parsed.rejected.push(
      rejectedEvent(
        {
          raw: document,
          action: 'push',
          repository: property(repo, 'repo_full_name'),
          tag: property(pushData, 'tag'),
          digest: property(pushData, 'digest'),
          occurredAt,
          idPrefix: 'acr',
        },
        { field, reason },
      ),
    );
  if (!isPlainObject(document)) {
    reject('body', 'expected an ACR trigger notification: a JSON object');
    return parsed;
  }
  const result = AcrPayload.safeParse(document);
  if (!result.success) {
    const { field, reason } = firstIssue(result.error, '');
    reject(field, reason);
    return parsed;
  }
  const { push_data: push, repository } = result.data;
  const occurredAt = wallTimeIn(context.timezone, push.pushed_at);
  if (!occurredAt) {
    reject(
      'push_data.pushed_at',
      `expected a time like "2016-11-29 12:25:46" (read in ${context.timezone}), got ${shown(push.pushed_at)}`,
    );
    return parsed;
  }
  const fullName =
    repository.repo_full_name ??
    (repository.namespace && repository.name ? `${repository.namespace}/${repository.name}` : '');
  if (!isRepository(fullName)) {
    reject(
      repository.repo_full_name === undefined
        ? 'repository.namespace'
        : 'repository.repo_full_name',
      `is not a valid repository name: ${shown(fullName)}`,
      occurredAt,
    );
    return parsed;
  }
  const digest = push.digest ?? null;
  parsed.events.push({
    eventId: derivedEventId('acr', [fullName, push.tag, digest, push.pushed_at]),
    action: 'push',
    repository: fullName,
    tag: push.tag,
    digest,
    mediaType: null,
    occurredAt,
  });
  return parsed;
}
