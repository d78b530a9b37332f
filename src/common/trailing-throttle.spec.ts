import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { trailingThrottle } from './trailing-throttle.js';

describe('trailingThrottle', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends the first call at once and the latest one at the end of the interval', () => {
    const seen: number[] = [];
    const t = trailingThrottle(1000, (n: number) => seen.push(n));
    t.call(1);
    t.call(2);
    t.call(3);
    expect(seen).toEqual([1]);
    jest.advanceTimersByTime(1000);
    expect(seen).toEqual([1, 3]);
    jest.advanceTimersByTime(5000);
    expect(seen).toEqual([1, 3]);
    t.call(4);
    expect(seen).toEqual([1, 3, 4]);
  });

  it('drops what is pending on cancel', () => {
    const seen: number[] = [];
    const t = trailingThrottle(1000, (n: number) => seen.push(n));
    t.call(1);
    t.call(2);
    t.cancel();
    jest.advanceTimersByTime(2000);
    expect(seen).toEqual([1]);
  });
});
