import { describe, expect, it } from '@jest/globals';
import { parseHarborWebhook } from './harbor-payload.js';

const DIGEST = 'sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c';

/**
 * A CloudEvent as Harbor's formatter (src/pkg/notifier/formats/cloudevents.go, Harbor
 * 2.8–2.13) marshals it with the CloudEvents Go SDK: structured mode, JSON data, the
 * request id and operator as extensions.
 */
function cloudEvent(
  overrides: Record<string, unknown> = {},
  resource: Record<string, unknown> = {},
) {
  return {
    specversion: '1.0',
    id: '4b2f89a6-548d-4c12-9993-a1f5790b97d2',
    source: '/projects/1/webhook/policies/3',
    type: 'harbor.artifact.pushed',
    datacontenttype: 'application/json',
    time: '2023-03-06T06:08:43Z',
    data: {
      resources: [
        {
          digest: DIGEST,
          tag: 'v1',
          resource_url: 'harbor.dev/library/busybox:v1',
          ...resource,
        },
      ],
      repository: {
        date_created: 1677053165,
        name: 'busybox',
        namespace: 'library',
        repo_full_name: 'library/busybox',
        repo_type: 'public',
      },
    },
    operator: 'robot$library+ci',
    requestid: '2eedfab8-61d3-4f3c-8ec3-8f82d1ec4c84',
    ...overrides,
  };
}

describe('parseHarborWebhook, CloudEvents format', () => {
  it('keeps harbor.artifact.pushed with the CloudEvents id and time', () => {
    expect(parseHarborWebhook(cloudEvent())).toEqual({
      events: [
        {
          eventId: '4b2f89a6-548d-4c12-9993-a1f5790b97d2',
          action: 'push',
          repository: 'library/busybox',
          tag: 'v1',
          digest: DIGEST,
          mediaType: null,
          occurredAt: new Date('2023-03-06T06:08:43Z'),
        },
      ],
      ignored: [],
      rejected: [],
    });
  });

  it('keeps harbor.artifact.deleted as a delete by digest', () => {
    const parsed = parseHarborWebhook(cloudEvent({ type: 'harbor.artifact.deleted' }));
    expect(parsed.events).toEqual([
      expect.objectContaining({ action: 'delete', tag: null, digest: DIGEST }),
    ]);
  });

  it('gives each artifact of a many-artifact event its own id', () => {
    const event = cloudEvent();
    event.data.resources.push({ digest: DIGEST, tag: 'v2', resource_url: 'x' });
    expect(parseHarborWebhook(event).events.map((e) => [e.eventId, e.tag])).toEqual([
      ['4b2f89a6-548d-4c12-9993-a1f5790b97d2#0', 'v1'],
      ['4b2f89a6-548d-4c12-9993-a1f5790b97d2#1', 'v2'],
    ]);
  });

  it("ignores Harbor's other CloudEvents types, as in the Default format", () => {
    for (const [type, action] of [
      ['harbor.artifact.pulled', 'pull'],
      ['harbor.scan.completed', 'other'],
      ['harbor.quota.warned', 'other'],
      ['harbor.replication.status.changed', 'other'],
      ['harbor.tag_retention.finished', 'other'],
    ]) {
      expect(parseHarborWebhook(cloudEvent({ type, data: { scan: 'whatever' } }))).toEqual({
        events: [],
        ignored: [{ action, reason: `${type} events` }],
        rejected: [],
      });
    }
  });

  it('takes the time of delivery when the optional time is missing', () => {
    const before = Date.now();
    const [event] = parseHarborWebhook(cloudEvent({ time: undefined })).events;
    expect(event!.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('rejects what it cannot read, keeping the CloudEvents id', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
      [{ type: 'harbor.artifact.renamed' }, {}, 'type', /unknown Harbor CloudEvents type/],
      [{ specversion: '0.3' }, {}, 'specversion', /"1.0"/],
      [{ time: 'yesterday' }, {}, 'time', /RFC 3339/],
      [{ datacontenttype: 'application/xml' }, {}, 'datacontenttype', /application\/json/],
      [{ data: undefined, data_base64: 'e30=' }, {}, 'data_base64', /binary/],
      [{ data: 'text' }, {}, 'data', /repository and resources/],
      [{}, { digest: 'sha256:short' }, 'data.resources[0].digest', /digest/],
    ];
    for (const [overrides, resource, field, reason] of cases) {
      const parsed = parseHarborWebhook(cloudEvent(overrides, resource));
      expect(parsed.events).toEqual([]);
      expect(parsed.rejected).toEqual([
        expect.objectContaining({ field, eventId: '4b2f89a6-548d-4c12-9993-a1f5790b97d2' }),
      ]);
      expect(parsed.rejected[0]!.reason).toMatch(reason);
    }
    const noId = parseHarborWebhook(cloudEvent({ id: '' })).rejected[0]!;
    expect(noId).toMatchObject({ field: 'id', action: 'push' });
    expect(noId.eventId).toMatch(/^harbor-ce:[0-9a-f]{64}$/);
  });
});
