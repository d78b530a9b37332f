import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { ContentMismatch, DigestVerifier, verified } from './digest-stream.js';
import {
  DigestMismatchError,
  NotFoundError,
  RateLimitedError,
  TransientError,
  UnauthorizedError,
  UnsupportedError,
  errorFromResponse,
  MissingNamespaceError,
  parseRetryAfter,
} from './errors.js';
import { Redactor } from './redactor.js';
import { DEFAULT_RETRY, isRetryable } from './retry.js';
import { Semaphore } from './semaphore.js';
import { TokenBucket, throttled, type Clock } from './token-bucket.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('DigestVerifier', () => {
  const data = Buffer.from('0123456789abcdefghij');

  it('withholds the last chunk when the digest is wrong', async () => {
    const verifier = new DigestVerifier(sha(Buffer.from('something else......')), data.length);
    const out: Buffer[] = [];
    async function* source() {
      yield data.subarray(0, 10);
      yield data.subarray(10);
    }
    await expect(
      (async () => {
        for await (const c of verified(source(), verifier)) out.push(Buffer.from(c));
      })(),
    ).rejects.toBeInstanceOf(ContentMismatch);
    expect(Buffer.concat(out).length).toBe(10);
  });

  it('rewinds to a checkpoint and skips what the destination already has', async () => {
    const verifier = new DigestVerifier(sha(data), data.length);
    verifier.update(data.subarray(0, 8));
    verifier.checkpoint();
    verifier.update(data.subarray(8, 15));
    const from = verifier.rewind(12);
    expect(from).toBe(8);
    async function* reopened() {
      yield data.subarray(from);
    }
    const sent: Buffer[] = [];
    for await (const c of verified(reopened(), verifier, 12 - from)) sent.push(Buffer.from(c));
    expect(Buffer.concat(sent).toString()).toBe(data.subarray(12).toString());
  });

  it('checks the empty blob too', () => {
    const empty = new DigestVerifier(sha(Buffer.alloc(0)), 0);
    expect(() => empty.finish()).not.toThrow();
    const wrong = new DigestVerifier(sha(data), 0);
    expect(() => wrong.finish()).toThrow(ContentMismatch);
  });
});

describe('error mapping and retry classification', () => {
  const ctx = { registry: 'r', repository: 'a/b', reference: 'v1' };
  const map = (status: number, body = '', retryAfter?: string) =>
    errorFromResponse({ status, method: 'GET', bodyText: body, retryAfter }, ctx);

  it('maps statuses and OCI codes to typed errors carrying the registry message', () => {
    const nf = map(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.code).toBe('MANIFEST_UNKNOWN');
    expect(nf.message).toBe(
      'r a/b:v1: GET found nothing (registry said: MANIFEST_UNKNOWN manifest unknown) [HTTP 404]',
    );
    expect(map(401)).toBeInstanceOf(UnauthorizedError);
    expect(map(400, '{"errors":[{"code":"UNSUPPORTED"}]}')).toBeInstanceOf(UnsupportedError);
    expect(map(503, 'busy', '2')).toBeInstanceOf(RateLimitedError);
    expect(map(502)).toBeInstanceOf(TransientError);
  });

  it("maps Harbor's answer for a project that does not exist to MissingNamespaceError", () => {
    const body =
      '{"errors":[{"code":"UNAUTHORIZED","message":"project nope not found: project nope not found"}]}\n';
    const missing = map(401, body);
    expect(missing).toBeInstanceOf(MissingNamespaceError);
    expect((missing as MissingNamespaceError).namespace).toBe('nope');
    expect(missing.message).toBe(
      'r a/b:v1: the project "nope" does not exist at this registry (registry said: UNAUTHORIZED project nope not found: project nope not found) [HTTP 401]',
    );
    expect(isRetryable(missing, DEFAULT_RETRY)).toBe(false);
    // Other refusals stay what they were.
    expect(
      map(
        401,
        '{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized to access repository: a/b, action: push"}]}',
      ),
    ).toBeInstanceOf(UnauthorizedError);
    expect(map(500, '{"errors":[{"message":"project nope not found"}]}')).toBeInstanceOf(
      TransientError,
    );
  });

  it('retries only what may pass', () => {
    expect(isRetryable(map(503), DEFAULT_RETRY)).toBe(true);
    expect(isRetryable(map(429, '', '5'), DEFAULT_RETRY)).toBe(true);
    expect(isRetryable(map(429, '', '86400'), DEFAULT_RETRY)).toBe(false);
    for (const status of [400, 401, 403, 404])
      expect(isRetryable(map(status), DEFAULT_RETRY)).toBe(false);
    const mismatch = new DigestMismatchError('x', { ...ctx, expected: 'a', actual: 'b' });
    expect(isRetryable(mismatch, DEFAULT_RETRY)).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('redacts secrets and stray JWTs from registry text', () => {
    const r = new Redactor();
    r.add('hunter2-password');
    expect(
      r.redact('bad password hunter2-password and eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'),
    ).toBe('bad password *** and ***');
  });
});

/** A clock that only moves when someone sleeps: token bucket math without real time. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of one second through, then paces at the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, clock);
    await bucket.take(1000);
    expect(clock.slept).toEqual([]);
    await bucket.take(2500);
    // 2500 bytes at 1000 B/s after an empty bucket: 2.5 s of (fake) waiting.
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(2500);
  });

  it('stops waiting when aborted', async () => {
    const bucket = new TokenBucket(10);
    await bucket.take(10);
    const controller = new AbortController();
    const waiting = bucket.take(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('Semaphore', () => {
  it('hands slots over in order and never exceeds the limit', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const third = s.acquire().then((r) => (order.push(3), r));
    const fourth = s.acquire().then((r) => (order.push(4), r));
    expect(s.inUse).toBe(2);
    r1();
    r1(); // double release is ignored
    const r3 = await third;
    expect(s.inUse).toBe(2);
    r2();
    (await fourth)();
    r3();
    expect(order).toEqual([3, 4]);
    expect(s.inUse).toBe(0);
  });
});

describe('throttled', () => {
  it('hands back the stream itself when no limit is set (no pass-through layer per chunk)', () => {
    const stream = (async function* () {
      yield new Uint8Array(1);
    })();
    expect(throttled(stream, undefined)).toBe(stream);
  });

  it('paces through the bucket when there is one', async () => {
    let now = 0;
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    };
    const bucket = new TokenBucket(1000, clock);
    const chunks: number[] = [];
    for await (const chunk of throttled(
      (async function* () {
        for (let i = 0; i < 3; i++) yield new Uint8Array(1000);
      })(),
      bucket,
    ))
      chunks.push(chunk.byteLength);
    expect(chunks).toEqual([1000, 1000, 1000]);
    expect(now).toBeGreaterThanOrEqual(2000);
  });
});
