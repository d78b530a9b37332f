import { z } from 'zod';
import { actedHarborType, readHarborEventData } from './harbor-event-data.js';
import { emptyParse, shown, type EventActionLabel, type ParsedWebhook } from './inbox-event.js';
import { eventId, firstIssue, optional, rejectedEvent, rfc3339Time } from './payload-fields.js';

const CloudEvent = z.looseObject({
  specversion: z.literal('1.0', {
    error: (issue) => `expected CloudEvents specversion "1.0", got ${shown(issue.input)}`,
  }),
  id: eventId,
  source: optional(z.string({ error: 'expected a string' })),
  time: optional(rfc3339Time),
  datacontenttype: optional(
    z.string({ error: 'expected a string' }).refine((type) => /^application\/json\b/i.test(type), {
      error: (issue) => `expected application/json data, got ${shown(issue.input)}`,
    }),
  ),
});

/**
 * Reads a Harbor webhook sent as a CloudEvent 1.0 in structured mode (Harbor 2.8+,
 * payload format "CloudEvents"; `Content-Type: application/cloudevents+json`):
 *
 * `{specversion: "1.0", id, source: "/projects/1/webhook/policies/3", type:
 * "harbor.artifact.pushed", datacontenttype: "application/json", time, data:
 * {resources, repository}, requestid, operator}`
 *
 * `data` is the Default format's `event_data`. The CloudEvents `id` (a UUID Harbor
 * makes once per event; its retries repeat it) is the event id, so a redelivery
 * dedupes; an event naming several artifacts gets `id#n` for the n-th.
 */
export function parseHarborCloudEvent(document: Record<string, unknown>): ParsedWebhook {
  const parsed = emptyParse();
  let action: EventActionLabel = 'unknown';
  const reject = (field: string, reason: string) =>
    parsed.rejected.push(
      rejectedEvent(
        { raw: document, id: document.id, action, idPrefix: 'harbor-ce' },
        { field, reason },
      ),
    );
  const type = actedHarborType(document.type, 'cloudEvent', parsed, reject);
  if (!type) return parsed;
  action = type.acted;
  const envelope = CloudEvent.safeParse(document);
  if (!envelope.success) {
    const { field, reason } = firstIssue(envelope.error, '');
    reject(field, reason);
    return parsed;
  }
  if ('data_base64' in document) {
    reject('data_base64', 'binary event data is not read; Harbor sends JSON in "data"');
    return parsed;
  }
  const { id, time } = envelope.data;
  readHarborEventData(
    document.data,
    {
      type: type.name,
      action: type.acted,
      // `time` is optional in CloudEvents (Harbor always sets it).
      occurredAt: time ?? new Date(),
      at: 'data',
      idOf: ({ index, count }) => (count === 1 ? id : `${id}#${index}`),
      ownId: id,
      idPrefix: 'harbor-ce',
      raw: document,
    },
    parsed,
  );
  return parsed;
}
