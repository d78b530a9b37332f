import { describe, expect, it } from '@jest/globals';
import { parseAcrPayload } from './acr-payload.js';
import { parseJsonBody } from './inbox-event.js';

const DIGEST = 'sha256:457f4aa83fc9a6663ab9d1b0a6e2dce25a12a943ed5bf2c1747c58d48bbb4917';
const SHANGHAI = { timezone: 'Asia/Shanghai' };

/**
 * ACR's documented sample, byte for byte in its layout: indented, with a space after
 * every comma at the end of a line (Python 2's json.dumps). Only the repository name
 * is lower-cased here: the sample's "repoTest" is not a valid repository name (ACR
 * itself accepts lower-case names only); the sample as is gets its own test below.
 */
const SAMPLE = `{
    "push_data": {
        "digest": "${DIGEST}", 
        "pushed_at": "2016-11-29 12:25:46", 
        "tag": "latest"
    }, 
    "repository": {
        "date_created": "2016-10-28 21:31:42", 
        "name": "repotest", 
        "namespace": "namespace", 
        "region": "cn-hangzhou", 
        "repo_authentication_type": "NO_CERTIFIED", 
        "repo_full_name": "namespace/repotest", 
        "repo_origin_type": "NO_CERTIFIED", 
        "repo_type": "PUBLIC"
    }
}`;

const sample = () => parseJsonBody(Buffer.from(SAMPLE)) as Record<string, Record<string, unknown>>;

describe('parseAcrPayload', () => {
  it("reads ACR's sample: the tag pushed, at pushed_at in China Standard Time", () => {
    expect(parseAcrPayload(sample(), SHANGHAI)).toEqual({
      events: [
        {
          eventId: expect.stringMatching(/^acr:[0-9a-f]{64}$/),
          action: 'push',
          repository: 'namespace/repotest',
          tag: 'latest',
          digest: DIGEST,
          mediaType: null,
          occurredAt: new Date('2016-11-29T04:25:46Z'),
        },
      ],
      ignored: [],
      rejected: [],
    });
  });

  it("reads pushed_at in the registry's time zone", () => {
    const [event] = parseAcrPayload(sample(), { timezone: 'Europe/Berlin' }).events;
    expect(event!.occurredAt).toEqual(new Date('2016-11-29T11:25:46Z'));
  });

  it('ignores extra fields, trims padded values, takes a missing digest and builds the name from namespace/name', () => {
    const payload = sample();
    payload.push_data = {
      ...payload.push_data,
      tag: ' release-1 ',
      pushed_at: '2016-11-29 12:25:46 ',
      digest: '',
    };
    payload.repository = { namespace: 'team', name: 'app', region: 'cn-shanghai', tags: ['x'] };
    (payload as Record<string, unknown>).callback_url = 'https://example.invalid/hook';
    const [event] = parseAcrPayload(payload, SHANGHAI).events;
    expect(event).toMatchObject({ repository: 'team/app', tag: 'release-1', digest: null });
  });

  it('derives the same id for a redelivery and another for a later push of the tag', () => {
    const id = parseAcrPayload(sample(), SHANGHAI).events[0]!.eventId;
    expect(parseAcrPayload(sample(), SHANGHAI).events[0]!.eventId).toBe(id);
    const later = sample();
    later.push_data!.pushed_at = '2016-11-29 12:30:00';
    expect(parseAcrPayload(later, SHANGHAI).events[0]!.eventId).not.toBe(id);
  });

  it('rejects what it cannot read, naming the field', () => {
    const cases: [(p: Record<string, Record<string, unknown>>) => void, string, RegExp][] = [
      [(p) => (p.push_data!.tag = 'no spaces inside'), 'push_data.tag', /valid tag/],
      [(p) => delete p.push_data!.tag, 'push_data.tag', /expected a tag/],
      [(p) => (p.push_data!.digest = 'sha256:abc'), 'push_data.digest', /digest/],
      [
        (p) => (p.push_data!.pushed_at = '29/11/2016 12:25'),
        'push_data.pushed_at',
        /Asia\/Shanghai/,
      ],
      [(p) => (p.push_data!.pushed_at = 1480393546), 'push_data.pushed_at', /string/],
      [
        (p) => (p.repository!.repo_full_name = 'namespace/repoTest'),
        'repository.repo_full_name',
        /repository name/,
      ],
      [(p) => (p.repository = {}), 'repository.namespace', /repository name/],
      [(p) => delete p.push_data, 'push_data', /digest, pushed_at and tag/],
    ];
    for (const [change, field, reason] of cases) {
      const payload = sample();
      change(payload);
      const parsed = parseAcrPayload(payload, SHANGHAI);
      expect(parsed.events).toEqual([]);
      expect(parsed.rejected).toEqual([expect.objectContaining({ field, action: 'push' })]);
      expect(parsed.rejected[0]!.reason).toMatch(reason);
      expect(parsed.rejected[0]!.eventId).toMatch(/^acr:[0-9a-f]{64}$/);
    }
    expect(parseAcrPayload([], SHANGHAI).rejected[0]).toMatchObject({ field: 'body' });
  });

  it('stores ACR\'s documented sample as is (repository "repoTest") as rejected, with what it named', () => {
    const payload = sample();
    payload.repository!.repo_full_name = 'namespace/repoTest';
    expect(parseAcrPayload(payload, SHANGHAI).rejected).toEqual([
      expect.objectContaining({
        repository: 'namespace/repoTest',
        tag: 'latest',
        digest: DIGEST,
        occurredAt: new Date('2016-11-29T04:25:46Z'),
      }),
    ]);
  });
});
