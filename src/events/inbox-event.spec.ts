import { describe, expect, it } from '@jest/globals';
import { parseJsonBody, WebhookBodyError } from './inbox-event.js';

describe('parseJsonBody', () => {
  it('reads any JSON document', () => {
    expect(parseJsonBody(Buffer.from(' {"events": []} '))).toEqual({ events: [] });
    expect(parseJsonBody(Buffer.from('[1]'))).toEqual([1]);
  });

  it('refuses bodies that are not JSON at all, naming why', () => {
    for (const [body, reason] of [
      [Buffer.from('{"events": ['), /not valid JSON/],
      [Buffer.from([0x7b, 0xff, 0x7d]), /UTF-8/],
      [Buffer.alloc(0), /empty/],
    ] as const) {
      let error: unknown;
      try {
        parseJsonBody(body);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WebhookBodyError);
      expect((error as WebhookBodyError).reason).toMatch(reason);
    }
  });
});
