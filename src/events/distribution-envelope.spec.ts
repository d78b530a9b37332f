import { describe, expect, it } from '@jest/globals';
import { parseDistributionEnvelope } from './distribution-envelope.js';
import { WebhookPayloadError } from './inbox-event.js';

const V1 = 'application/vnd.docker.distribution.events.v1+json';
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

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const parse = (value: unknown, contentType = V1) =>
  parseDistributionEnvelope(contentType, Buffer.isBuffer(value) ? value : body(value));

function rejection(value: unknown, contentType = V1): WebhookPayloadError {
  try {
    parse(value, contentType);
  } catch (error) {
    if (error instanceof WebhookPayloadError) return error;
    throw error;
  }
  throw new Error('expected a WebhookPayloadError');
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

  it('reads the v2 content type, plain JSON and parameters', () => {
    for (const type of [
      'application/vnd.docker.distribution.events.v2+json',
      'application/json; charset=utf-8',
      'Application/Vnd.Docker.Distribution.Events.V1+JSON',
    ]) {
      expect(parse({ events: [event()] }, type).events).toHaveLength(1);
    }
  });

  it('keeps tag deletes (no digest) and deletes by digest (no tag)', () => {
    const parsed = parse({
      events: [
        event({ id: 'd1', action: 'delete' }, { digest: DIGEST, tag: undefined, mediaType: '' }),
        event({ id: 'd2', action: 'delete' }, { digest: undefined, tag: '1.0', mediaType: '' }),
      ],
    });
    expect(parsed.events.map((e) => [e.eventId, e.action, e.tag, e.digest])).toEqual([
      ['d1', 'delete', null, DIGEST],
      ['d2', 'delete', '1.0', null],
    ]);
  });

  it('accepts and ignores pulls, mounts, blob uploads and digest-only manifest pushes', () => {
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
    expect(parsed.events.map((e) => e.eventId)).toEqual(['kept']);
    expect(parsed.ignored.map((i) => i.action)).toEqual(['pull', 'mount', 'push', 'push', 'push']);
    expect(parsed.ignored[2]!.reason).toMatch(/blob upload/);
    expect(parsed.ignored[4]!.reason).toMatch(/by digest only/);
  });

  it('accepts an empty envelope', () => {
    expect(parse({ events: [] })).toEqual({ events: [], ignored: [] });
  });

  it('rejects bodies that are not an envelope', () => {
    expect(rejection(Buffer.from('{"events": [')).reason).toMatch(/not valid JSON/);
    expect(rejection(Buffer.from([0x7b, 0xff, 0x7d])).reason).toMatch(/UTF-8/);
    expect(rejection(Buffer.alloc(0)).reason).toMatch(/empty/);
    expect(rejection([event()]).field).toBe('events');
    expect(rejection({ event: [] }).field).toBe('events');
    expect(rejection({ events: ['push'] }).field).toBe('events[0]');
  });

  it('refuses other content types with 415', () => {
    const error = rejection({ events: [] }, 'text/plain');
    expect(error.status).toBe(415);
    expect(error.reason).toMatch(/application\/vnd\.docker\.distribution\.events\.v1\+json/);
    expect(rejection({ events: [] }, '').status).toBe(415);
  });

  it('names the event and field of each kind of bad value, and rejects the whole envelope', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
      [{ action: 'rename' }, {}, 'events[1].action', /unknown action "rename"/],
      [{ action: undefined }, {}, 'events[1].action', /unknown action/],
      [{ id: '' }, {}, 'events[1].id', /non-empty/],
      [{ id: 42 }, {}, 'events[1].id', /string/],
      [{ timestamp: 'yesterday' }, {}, 'events[1].timestamp', /RFC 3339/],
      [{ timestamp: '2026-11-20' }, {}, 'events[1].timestamp', /RFC 3339/],
      [{ target: 'library/app' }, {}, 'events[1].target', /object/],
      [{}, { repository: 'Library/App' }, 'events[1].target.repository', /repository name/],
      [{}, { repository: '../etc' }, 'events[1].target.repository', /repository name/],
      [{}, { repository: undefined }, 'events[1].target.repository', /repository name/],
      [{}, { digest: 'sha256:abc' }, 'events[1].target.digest', /digest/],
      [{}, { digest: undefined }, 'events[1].target.digest', /must name the digest/],
      [{}, { tag: 'bad tag' }, 'events[1].target.tag', /valid tag/],
      [{}, { tag: 7 }, 'events[1].target.tag', /valid tag/],
      [{}, { mediaType: 5 }, 'events[1].target.mediaType', /media type/],
      [{}, { url: 5 }, 'events[1].target.url', /string/],
      [
        { action: 'delete' },
        { digest: undefined, tag: undefined },
        'events[1].target',
        /tag or a digest/,
      ],
    ];
    for (const [overrides, target, field, reason] of cases) {
      const error = rejection({ events: [event({ id: 'fine' }), event(overrides, target)] });
      expect({ field: error.field, status: error.status }).toEqual({ field, status: 400 });
      expect(error.reason).toMatch(reason);
    }
  });

  it('labels a rejection with the action when it was known, for the metric', () => {
    expect(rejection({ events: [event({}, { tag: 'bad tag' })] }).action).toBe('push');
    expect(rejection({ events: [event({ action: 'rename' })] }).action).toBe('unknown');
  });
});
