import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachConcurrent, mapConcurrent } from './async-pool.js';

describe('forEachConcurrent', () => {
  it('never runs more than the limit at once, and pulls lazily', async () => {
    let active = 0;
    let peak = 0;
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: number[] = [];
    await forEachConcurrent(source(), 3, async (i) => {
      active++;
      peak = Math.max(peak, active);
      expect(pulled - seen.length).toBeLessThanOrEqual(3);
      await sleep(1);
      seen.push(i);
      active--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('stops pulling after a failure and rethrows it once in-flight work settles', async () => {
    const started: number[] = [];
    await expect(
      forEachConcurrent([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2, async (i) => {
        started.push(i);
        if (i === 1) throw new Error('boom');
        await sleep(1);
      }),
    ).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(10);
  });

  it('keeps order in mapConcurrent', async () => {
    expect(await mapConcurrent([3, 1, 2], 2, async (n) => (await sleep(n), n * 10))).toEqual([
      30, 10, 20,
    ]);
  });
});
