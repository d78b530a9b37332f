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

  it('with delayFirst, sends nothing for work cancelled within the first interval', () => {
    const seen: number[] = [];
    const quick = trailingThrottle(1000, (n: number) => seen.push(n), { delayFirst: true });
    quick.call(1);
    jest.advanceTimersByTime(999);
    quick.cancel();
    jest.advanceTimersByTime(5000);
    expect(seen).toEqual([]);

    const slow = trailingThrottle(1000, (n: number) => seen.push(n), { delayFirst: true });
    slow.call(1);
    slow.call(2);
    jest.advanceTimersByTime(1000);
    expect(seen).toEqual([2]);
    slow.call(3);
    expect(seen).toEqual([2]);
    jest.advanceTimersByTime(1000);
    expect(seen).toEqual([2, 3]);
    jest.advanceTimersByTime(5000);
    slow.call(4); // idle again: at once, as without delayFirst
    expect(seen).toEqual([2, 3, 4]);
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
