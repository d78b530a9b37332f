import { describe, expect, it } from '@jest/globals';
import { FailedAuthLimiter } from './failed-auth-limiter.js';

describe('FailedAuthLimiter', () => {
  it('refuses an address for the rest of its minute once it reached the limit', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(3, 100, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds('198.51.100.7')).toBe(0);
      limiter.recordFailure('198.51.100.7');
    }
    expect(limiter.retryAfterSeconds('198.51.100.7')).toBe(60);
    expect(limiter.retryAfterSeconds('198.51.100.8')).toBe(0); // others are not affected
    now = 45_500;
    expect(limiter.retryAfterSeconds('198.51.100.7')).toBe(15);
    now = 60_000;
    expect(limiter.retryAfterSeconds('198.51.100.7')).toBe(0);
  });

  it('keeps at most maxAddresses windows: the newest, and none that expired', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(1, 100, () => now);
    const address = (i: number) => `10.0.${i >> 8}.${i & 255}`;
    for (let i = 0; i < 10_000; i++) limiter.recordFailure(address(i));
    expect(limiter.size).toBe(100);
    expect(limiter.retryAfterSeconds(address(9_999))).toBe(60);
    expect(limiter.retryAfterSeconds(address(0))).toBe(0); // forgotten to make room
    now = 61_000;
    for (let i = 0; i < 100; i++) limiter.recordFailure(`192.0.2.${i}`);
    expect(limiter.size).toBe(100);
    expect(limiter.retryAfterSeconds(address(9_999))).toBe(0);
  });
});
