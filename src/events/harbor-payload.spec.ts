import { describe, expect, it } from '@jest/globals';
import { harborEventId, parseHarborWebhook } from './harbor-payload.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

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

const parse = (value: unknown) => parseHarborWebhook(value);

function rejection(value: unknown) {
  const parsed = parse(value);
  expect(parsed.events).toEqual([]);
  expect(parsed.rejected).toHaveLength(1);
  return parsed.rejected[0]!;
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
        rejected: [],
      });
    }
  });

  it('rejects unknown types and JSON that is not a payload, with stable derived ids', () => {
    const unknown = rejection(payload({ type: 'PUSH_IMAGE' }));
    expect(unknown).toMatchObject({
      field: 'type',
      reason: expect.stringMatching(/unknown Harbor event type "PUSH_IMAGE"/),
      action: 'unknown',
    });
    expect(unknown.eventId).toMatch(/^harbor:[0-9a-f]{64}$/);
    expect(rejection(payload({ type: 'PUSH_IMAGE' })).eventId).toBe(unknown.eventId);
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
      const rejected = rejection(payload(overrides, resource));
      expect({ field: rejected.field, action: rejected.action }).toEqual({ field, action: 'push' });
    }
  });

  it('rejects a bad resource on its own and keeps the others of the payload', () => {
    const good = { digest: DIGEST, tag: '1.0' };
    const parsed = parse(
      payload({
        event_data: {
          resources: [good, { digest: 'sha256:nope', tag: '2.0' }, { ...good, tag: '3.0' }],
          repository: { repo_full_name: 'library/app' },
        },
      }),
    );
    expect(parsed.events.map((e) => e.tag)).toEqual(['1.0', '3.0']);
    expect(parsed.rejected).toEqual([
      expect.objectContaining({
        field: 'event_data.resources[1].digest',
        repository: 'library/app',
        tag: '2.0',
        digest: 'sha256:nope',
      }),
    ]);
  });
});
