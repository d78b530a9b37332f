import { describe, expect, it } from '@jest/globals';
import { parseDistributionEnvelope } from './distribution-envelope.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function event(overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}) {
  return {
    id: 'e6b2f3a0-0000-4000-8000-000000000001',
    timestamp: '2026-11-20T10:15:30.123456789+01:00',
    action: 'push',
    target: {
      mediaType: MANIFEST,
      size: 528,
      digest: DIGEST,
      length: 528,
      repository: 'library/app',
      url: `http://127.0.0.1:5000/v2/library/app/manifests/${DIGEST}`,
      tag: '1.0',
      ...target,
    },
    request: { id: 'r1', addr: '127.0.0.1:1234', method: 'PUT', useragent: 'test' },
    actor: {},
    source: { addr: 'host:5000', instanceID: 'i1' },
    ...overrides,
  };
}

const parse = (value: unknown) => parseDistributionEnvelope(value);

/** The one rejection of an envelope whose other events are fine. */
function rejection(value: unknown) {
  const parsed = parse(value);
  expect(parsed.rejected).toHaveLength(1);
  return parsed.rejected[0]!;
}

describe('parseDistributionEnvelope', () => {
  it('keeps a manifest pushed by tag, with the registry time', () => {
    const parsed = parse({ events: [event()] });
    expect(parsed.ignored).toEqual([]);
    expect(parsed.events).toEqual([
      {
        eventId: 'e6b2f3a0-0000-4000-8000-000000000001',
        action: 'push',
        repository: 'library/app',
        tag: '1.0',
        digest: DIGEST,
        mediaType: MANIFEST,
        occurredAt: new Date('2026-11-20T09:15:30.123Z'),
      },
    ]);
  });

  it('keeps tag deletes (no digest), deletes by digest (no tag) and repository deletes (3.x)', () => {
    const parsed = parse({
      events: [
        event({ id: 'd1', action: 'delete' }, { digest: DIGEST, tag: undefined, mediaType: '' }),
        event({ id: 'd2', action: 'delete' }, { digest: undefined, tag: '1.0', mediaType: '' }),
        // distribution 3.x's RepoDeleted: the target names the repository alone.
        {
          id: 'd3',
          timestamp: '2026-11-20T10:15:30Z',
          action: 'delete',
          target: { repository: 'library/app' },
        },
      ],
    });
    expect(parsed.events.map((e) => [e.eventId, e.action, e.tag, e.digest])).toEqual([
      ['d1', 'delete', null, DIGEST],
      ['d2', 'delete', '1.0', null],
      ['d3', 'delete', null, null],
    ]);
    expect(parsed.rejected).toEqual([]);
  });

  it('accepts and ignores pulls, mounts and blob uploads; keeps digest-only manifest pushes', () => {
    const parsed = parse({
      events: [
        event({ id: 'p', action: 'pull' }),
        event({ id: 'm', action: 'mount' }, { tag: undefined, fromRepository: 'base/os' }),
        event(
          { id: 'b' },
          { mediaType: 'application/octet-stream', tag: undefined, digest: OTHER_DIGEST },
        ),
        event(
          { id: 'l' },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', tag: undefined },
        ),
        event({ id: 'c' }, { tag: undefined }),
        event({ id: 'kept' }),
      ],
    });
    // A manifest pushed by digest may be a referrer (a signature pushed later).
    expect(parsed.events.map((e) => [e.eventId, e.tag])).toEqual([
      ['c', null],
      ['kept', '1.0'],
    ]);
    expect(parsed.ignored.map((i) => i.action)).toEqual(['pull', 'mount', 'push', 'push']);
    expect(parsed.ignored[2]!.reason).toMatch(/blob upload/);
  });

  it('accepts an empty envelope', () => {
    expect(parse({ events: [] })).toEqual({ events: [], ignored: [], rejected: [] });
  });

  it('rejects JSON that is not an envelope as one event, with a stable derived id', () => {
    for (const value of [[event()], { event: [] }, 'events', null]) {
      const rejected = rejection(value);
      expect(rejected).toMatchObject({ field: 'events', action: 'unknown' });
      expect(rejected.eventId).toMatch(/^distribution:[0-9a-f]{64}$/);
      expect(rejection(value).eventId).toBe(rejected.eventId);
    }
    expect(rejection({ events: ['push'] })).toMatchObject({
      field: 'events[0]',
      reason: 'expected an event object',
    });
  });

  it('names the event and field of each kind of bad value, and keeps the other events', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
      [{ action: 'rename' }, {}, 'events[1].action', /unknown action "rename"/],
      [{ action: undefined }, {}, 'events[1].action', /unknown action/],
      [{ id: '' }, {}, 'events[1].id', /non-empty/],
      [{ id: 42 }, {}, 'events[1].id', /expected an event id, got 42/],
      [{ timestamp: 'yesterday' }, {}, 'events[1].timestamp', /RFC 3339/],
      [{ timestamp: '2026-11-20' }, {}, 'events[1].timestamp', /RFC 3339/],
      [{ target: 'library/app' }, {}, 'events[1].target', /object/],
      [{}, { repository: 'Library/App' }, 'events[1].target.repository', /repository name/],
      [{}, { repository: '../etc' }, 'events[1].target.repository', /repository name/],
      [{}, { repository: undefined }, 'events[1].target.repository', /expected a repository name/],
      [{}, { digest: 'sha256:abc' }, 'events[1].target.digest', /digest/],
      [{}, { digest: undefined }, 'events[1].target.digest', /must name the digest/],
      [{}, { tag: 'bad tag' }, 'events[1].target.tag', /valid tag/],
      [{}, { tag: 7 }, 'events[1].target.tag', /expected a tag, got 7/],
      [{}, { mediaType: 5 }, 'events[1].target.mediaType', /string/],
      [{}, { url: 5 }, 'events[1].target.url', /string/],
      [{}, { mediaType: 'x'.repeat(256) }, 'events[1].target.mediaType', /255/],
    ];
    for (const [overrides, target, field, reason] of cases) {
      const parsed = parse({
        events: [
          event({ id: 'fine' }),
          event({ id: 'bad', ...overrides }, target),
          event({ id: 'also-fine', action: 'pull' }),
        ],
      });
      expect(parsed.events.map((e) => e.eventId)).toEqual(['fine']);
      expect(parsed.ignored).toHaveLength(1);
      expect(parsed.rejected).toHaveLength(1);
      expect({ field: parsed.rejected[0]!.field }).toEqual({ field });
      expect(parsed.rejected[0]!.reason).toMatch(reason);
    }
  });

  it('keeps what a rejected event named, and its own id when it has a usable one', () => {
    const bad = event({ id: 'bad-1' }, { digest: 'sha256:abc', tag: '2.0' });
    expect(rejection({ events: [bad] })).toEqual({
      eventId: 'bad-1',
      action: 'push',
      field: 'events[0].target.digest',
      reason: 'is not a valid sha256 or sha512 digest: "sha256:abc"',
      repository: 'library/app',
      tag: '2.0',
      digest: 'sha256:abc',
      occurredAt: new Date('2026-11-20T09:15:30.123Z'),
    });
    const noId = rejection({ events: [event({ id: 42, action: 'rename' })] });
    expect(noId).toMatchObject({ action: 'unknown', field: 'events[0].action' });
    expect(noId.eventId).toMatch(/^distribution:[0-9a-f]{64}$/);
  });

  it('ignores pulls and mounts whatever else they hold', () => {
    const parsed = parse({
      events: [
        { action: 'pull', id: 3 },
        { action: 'mount', target: 'x' },
      ],
    });
    expect(parsed.ignored.map((i) => i.action)).toEqual(['pull', 'mount']);
    expect(parsed.rejected).toEqual([]);
  });
});
