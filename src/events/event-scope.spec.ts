import { describe, expect, it } from '@jest/globals';
import type { PendingEvent } from './event-inbox.js';
import { eventTriggers, type EventConsumer } from './event-scope.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;

function policy(overrides: Partial<EventConsumer> = {}): EventConsumer {
  return {
    id: 'p-all',
    repositories: ['**'],
    excludeRepositories: [],
    tags: ['*'],
    excludeTags: [],
    deletion: false,
    ...overrides,
  };
}

let seq = 0;
function event(overrides: Partial<PendingEvent> = {}): PendingEvent {
  seq++;
  return {
    id: String(seq),
    action: 'push',
    repository: 'library/app',
    tag: '1.0',
    digest: DIGEST,
    occurredAt: new Date('2026-11-20T10:00:00Z'),
    receivedAt: new Date('2026-11-20T10:00:01Z'),
    ...overrides,
  };
}

describe('eventTriggers', () => {
  it('scopes a policy to the repositories and tags named, with the earliest time per tag', () => {
    const a = event({ tag: '1.0', occurredAt: new Date('2026-11-20T10:00:05Z') });
    const b = event({ tag: '1.0', occurredAt: new Date('2026-11-20T10:00:00Z') });
    const c = event({ tag: '0.9' });
    const d = event({ repository: 'tools/cli', tag: 'latest' });
    expect(eventTriggers([policy()], [a, b, c, d])).toEqual([
      {
        consumerId: 'p-all',
        scope: {
          repositories: { 'library/app': ['0.9', '1.0'], 'tools/cli': ['latest'] },
          since: {
            'library/app:1.0': '2026-11-20T10:00:00.000Z',
            'library/app:0.9': '2026-11-20T10:00:00.000Z',
            'tools/cli:latest': '2026-11-20T10:00:00.000Z',
          },
        },
        eventIds: [a.id, b.id, c.id, d.id],
      },
    ]);
  });

  it('never dates a change after we received it (a registry clock running ahead)', () => {
    const ahead = event({
      occurredAt: new Date('2026-11-20T11:00:00Z'),
      receivedAt: new Date('2026-11-20T10:00:02Z'),
    });
    expect(eventTriggers([policy()], [ahead])[0]!.scope.since).toEqual({
      'library/app:1.0': '2026-11-20T10:00:02.000Z',
    });
  });

  it("applies each policy's repository and tag filters, and skips policies left with nothing", () => {
    const events = [
      event({ repository: 'library/app', tag: '1.0' }),
      event({ repository: 'library/app', tag: '1.0-rc1' }),
      event({ repository: 'internal/secret', tag: '1.0' }),
    ];
    const releases = policy({
      id: 'releases',
      repositories: ['library/**'],
      tags: ['re:\\d+\\.\\d+'],
    });
    const noRc = policy({
      id: 'no-rc',
      excludeTags: ['*-rc*'],
      excludeRepositories: ['internal/**'],
    });
    const other = policy({ id: 'other', repositories: ['tools/*'] });
    const triggers = eventTriggers([releases, noRc, other], events);
    expect(triggers.map((t) => [t.consumerId, t.scope.repositories, t.eventIds])).toEqual([
      ['releases', { 'library/app': ['1.0'] }, [events[0]!.id]],
      ['no-rc', { 'library/app': ['1.0'] }, [events[0]!.id]],
    ]);
  });

  it('puts deletes in scope only for policies that propagate them', () => {
    const deleted = event({ action: 'delete', tag: 'old', digest: null });
    const [propagating] = eventTriggers([policy({ id: 'del', deletion: true })], [deleted]);
    expect(propagating!.scope.repositories).toEqual({ 'library/app': ['old'] });
    expect(eventTriggers([policy({ deletion: false })], [deleted])).toEqual([]);
  });

  it('re-examines every tag of a repository where a manifest was deleted by digest', () => {
    const pushed = event({ tag: '2.0' });
    const byDigest = event({ action: 'delete', tag: null, digest: DIGEST });
    const [trigger] = eventTriggers([policy({ deletion: true })], [pushed, byDigest]);
    expect(trigger!.scope.repositories).toEqual({ 'library/app': [] });
    expect(trigger!.eventIds).toEqual([pushed.id, byDigest.id]);
  });

  it('lets attached-artifact pushes through whatever the tag filters say, and ignores their deletes', () => {
    const subject = 'a'.repeat(64);
    const sig = event({ tag: `sha256-${subject}.sig` });
    const index = event({ tag: `sha256-${subject}` });
    const referrer = event({ tag: null, digest: `sha256:${'b'.repeat(64)}` });
    const otherTag = event({ tag: 'dev' });
    const deletedSig = event({ action: 'delete', tag: `sha256-${subject}.att`, digest: null });
    const [trigger] = eventTriggers(
      [policy({ tags: ['v*'], deletion: true })],
      [sig, index, referrer, otherTag, deletedSig],
    );
    expect(trigger!.scope.repositories).toEqual({
      'library/app': [`sha256-${subject}`, `sha256-${subject}.sig`],
    });
    expect(trigger!.scope.digests).toEqual({ 'library/app': [`sha256:${'b'.repeat(64)}`] });
    expect(trigger!.eventIds).toEqual([sig.id, index.id, referrer.id]);
  });

  it('keeps the repository filter for manifests pushed by digest', () => {
    const referrer = event({ repository: 'other/app', tag: null });
    expect(eventTriggers([policy({ repositories: ['library/**'] })], [referrer])).toEqual([]);
  });

  it('skips a consumer whose stored filter no longer compiles, and still triggers the others', () => {
    // A lookahead, accepted while filters ran on JavaScript RegExp; RE2 refuses it.
    const stale = policy({ id: 'p-stale', tags: ['re:(?!tmp-).*'] });
    const pushed = event({ tag: '1.0' });
    const invalid: string[] = [];
    const triggers = eventTriggers([stale, policy()], [pushed], (id, error) =>
      invalid.push(`${id}: ${error.message}`),
    );
    expect(triggers.map((t) => t.consumerId)).toEqual(['p-all']);
    expect(triggers[0]!.eventIds).toEqual([pushed.id]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatch(/^p-stale: invalid pattern "re:\(\?!tmp-\)\.\*"/);
  });
});
