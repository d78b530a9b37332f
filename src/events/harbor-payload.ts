import { z } from 'zod';
import { parseHarborCloudEvent } from './harbor-cloudevents.js';
import { actedHarborType, readHarborEventData } from './harbor-event-data.js';
import {
  derivedEventId,
  emptyParse,
  isPlainObject,
  shown,
  type ParsedWebhook,
} from './inbox-event.js';
import { firstIssue, optional, rejectedEvent } from './payload-fields.js';

/** Default format: application/json. CloudEvents (structured mode): application/cloudevents+json. */
export const HARBOR_CONTENT_TYPES = ['application/json', 'application/cloudevents+json'] as const;

const DefaultPayload = z.looseObject({
  occur_at: z
    .number({ error: (issue) => `expected Unix seconds, got ${shown(issue.input)}` })
    .int('expected whole Unix seconds')
    .positive('expected Unix seconds after 1970')
    .max(Number.MAX_SAFE_INTEGER / 1000, 'expected Unix seconds'),
  operator: optional(z.string({ error: 'expected a string' })),
});

/**
 * Reads a Harbor webhook payload: CloudEvents 1.0 in structured mode (Harbor 2.8+,
 * recognised by `specversion`), or Harbor's "Default" format.
 */
export function parseHarborWebhook(document: unknown): ParsedWebhook {
  if (isPlainObject(document) && 'specversion' in document) return parseHarborCloudEvent(document);
  return parseHarborPayload(document);
}

/**
 * Reads Harbor's "Default" format: `{type, occur_at, operator, event_data:
 * {resources, repository}}`.
 *
 * Harbor sends no event id, so one is derived from what identifies the event (type,
 * time, repository, digest, tag): a redelivered payload dedupes, a new push does not.
 */
export function parseHarborPayload(document: unknown): ParsedWebhook {
  const parsed = emptyParse();
  const reject = (
    field: string,
    reason: string,
    action: 'push' | 'delete' | 'unknown' = 'unknown',
  ) =>
    parsed.rejected.push(
      rejectedEvent({ raw: document, action, idPrefix: 'harbor' }, { field, reason }),
    );
  if (!isPlainObject(document)) {
    reject('body', 'expected a Harbor webhook payload: a JSON object');
    return parsed;
  }
  const type = actedHarborType(document.type, 'name', parsed, reject);
  if (!type) return parsed;
  const action = type.acted;
  const header = DefaultPayload.safeParse(document);
  if (!header.success) {
    const { field, reason } = firstIssue(header.error, '');
    reject(field, reason, action);
    return parsed;
  }
  const occurAt = header.data.occur_at;
  readHarborEventData(
    document.event_data,
    {
      type: type.name,
      action,
      occurredAt: new Date(occurAt * 1000),
      at: 'event_data',
      idOf: ({ repository, digest, tag }) =>
        harborEventId(type.name, occurAt, repository, digest, tag),
      idPrefix: 'harbor',
      raw: document,
    },
    parsed,
  );
  return parsed;
}

/** A stable id for a Harbor Default-format event, which carries none of its own. */
export function harborEventId(
  type: string,
  occurAt: number,
  repository: string,
  digest: string,
  tag: string | null,
): string {
  return derivedEventId('harbor', [type, occurAt, repository, digest, tag]);
}
