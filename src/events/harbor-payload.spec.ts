import { describe, expect, it } from '@jest/globals';
import { harborEventId, parseHarborPayload } from './harbor-payload.js';
import { WebhookPayloadError } from './inbox-event.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const JSON_TYPE = 'application/json';

function payload(overrides: Record<string, unknown> = {}, resource: Record<string, unknown> = {}) {
  return {
    type: 'PUSH_ARTIFACT',
    occur_at: 1795255530,
    operator: 'ci-bot',
    event_data: {
      resources: [
        {
          digest: DIGEST,
          tag: '1.4.2',
          resource_url: 'harbor.example/library/app:1.4.2',
          ...resource,
        },
      ],
      repository: {
        date_created: 1795255000,
        name: 'app',
        namespace: 'library',
        repo_full_name: 'library/app',
        repo_type: 'private',
      },
    },
    ...overrides,
  };
}

const parse = (value: unknown, contentType = JSON_TYPE) =>
  parseHarborPayload(
    contentType,
    Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value)),
  );

function rejection(value: unknown, contentType = JSON_TYPE): WebhookPayloadError {
  try {
    parse(value, contentType);
  } catch (error) {
    if (error instanceof WebhookPayloadError) return error;
    throw error;
  }
  throw new Error('expected a WebhookPayloadError');
}

describe('parseHarborPayload', () => {
  it('keeps a pushed tag of repo_full_name, timed by occur_at', () => {
    const parsed = parse(payload());
    expect(parsed.ignored).toEqual([]);
    expect(parsed.events).toEqual([
      {
        eventId: harborEventId('PUSH_ARTIFACT', 1795255530, 'library/app', DIGEST, '1.4.2'),
        action: 'push',
        repository: 'library/app',
        tag: '1.4.2',
        digest: DIGEST,
        mediaType: null,
        occurredAt: new Date(1795255530 * 1000),
      },
    ]);
  });

  it('derives the same event id from a redelivered payload, and another for a new push', () => {
    const first = parse(payload()).events[0]!.eventId;
    expect(parse(payload()).events[0]!.eventId).toBe(first);
    expect(first).toMatch(/^harbor:[0-9a-f]{64}$/);
    expect(parse(payload({ occur_at: 1795255531 })).events[0]!.eventId).not.toBe(first);
    expect(parse(payload({}, { tag: '1.4.3' })).events[0]!.eventId).not.toBe(first);
  });

  it('keeps DELETE_ARTIFACT as a delete by digest: the artifact went with all its tags', () => {
    const parsed = parse(payload({ type: 'DELETE_ARTIFACT' }));
    expect(parsed.events).toEqual([
      expect.objectContaining({
        action: 'delete',
        repository: 'library/app',
        tag: null,
        digest: DIGEST,
      }),
    ]);
  });

  it('ignores an artifact pushed without a tag (Harbor then puts the digest in `tag`)', () => {
    for (const tag of [DIGEST, '', undefined]) {
      const parsed = parse(payload({}, { tag }));
      expect(parsed.events).toEqual([]);
      expect(parsed.ignored).toEqual([
        { action: 'push', reason: expect.stringMatching(/without a tag/) },
      ]);
    }
  });

  it("accepts and ignores Harbor's other event types", () => {
    for (const [type, action] of [
      ['PULL_ARTIFACT', 'pull'],
      ['SCANNING_COMPLETED', 'other'],
      ['QUOTA_WARNING', 'other'],
      ['REPLICATION', 'other'],
      ['TAG_RETENTION', 'other'],
    ]) {
      expect(parse({ type, occur_at: 1, event_data: {} })).toEqual({
        events: [],
        ignored: [{ action, reason: `${type} events` }],
      });
    }
  });

  it('rejects unknown types, CloudEvents and other content types', () => {
    expect(rejection(payload({ type: 'PUSH_IMAGE' }))).toMatchObject({
      field: 'type',
      reason: expect.stringMatching(/unknown Harbor event type "PUSH_IMAGE"/),
      action: 'unknown',
    });
    expect(rejection({ specversion: '1.0', type: 'harbor.artifact.pushed' }).reason).toMatch(
      /payload format to "Default"/,
    );
    expect(rejection(payload(), 'application/vnd.docker.distribution.events.v1+json').status).toBe(
      415,
    );
    expect(rejection(Buffer.from('not json')).reason).toMatch(/not valid JSON/);
    expect(rejection([payload()]).field).toBe('body');
  });

  it('names the field of each kind of bad value', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ occur_at: '1795255530' }, {}, 'occur_at'],
      [{ occur_at: 1.5 }, {}, 'occur_at'],
      [{ occur_at: undefined }, {}, 'occur_at'],
      [{ operator: 7 }, {}, 'operator'],
      [{ event_data: undefined }, {}, 'event_data'],
      [
        { event_data: { resources: [], repository: { repo_full_name: 'library/app' } } },
        {},
        'event_data.resources',
      ],
      [{ event_data: { resources: [{ digest: DIGEST, tag: 'x' }] } }, {}, 'event_data.repository'],
      [
        {
          event_data: {
            resources: [{ digest: DIGEST, tag: 'x' }],
            repository: { repo_full_name: 'Library/App' },
          },
        },
        {},
        'event_data.repository.repo_full_name',
      ],
      [
        {
          event_data: {
            resources: [{ digest: DIGEST, tag: 'x' }],
            repository: { repo_full_name: 'a/b', name: 3 },
          },
        },
        {},
        'event_data.repository.name',
      ],
      [{}, { digest: 'sha256:short' }, 'event_data.resources[0].digest'],
      [{}, { digest: undefined }, 'event_data.resources[0].digest'],
      [{}, { tag: 'no spaces allowed' }, 'event_data.resources[0].tag'],
      [{}, { tag: 12 }, 'event_data.resources[0].tag'],
      [{}, { resource_url: {} }, 'event_data.resources[0].resource_url'],
    ];
    for (const [overrides, resource, field] of cases) {
      const error = rejection(payload(overrides, resource));
      expect({ field: error.field, status: error.status, action: error.action }).toEqual({
        field,
        status: 400,
        action: 'push',
      });
    }
  });
});
