import { describe, expect, it } from '@jest/globals';
import { msUntilNextTick, scheduledInstant } from './cron-tick.js';

describe('scheduledInstant', () => {
  it('gives the same instant to replicas whose timers fire a little apart', () => {
    const a = scheduledInstant('*/15 * * * *', new Date('2026-11-22T10:15:00.004Z'));
    const b = scheduledInstant('*/15 * * * *', new Date('2026-11-22T10:14:59.700Z'));
    const c = scheduledInstant('*/15 * * * *', new Date('2026-11-22T10:15:00.350Z'));
    expect(a.toISOString()).toBe('2026-11-22T10:15:00.000Z');
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('handles second-level and rare schedules', () => {
    expect(
      scheduledInstant('*/5 * * * * *', new Date('2026-11-22T10:00:07.100Z')).toISOString(),
    ).toBe('2026-11-22T10:00:05.000Z');
    expect(scheduledInstant('0 3 1 * *', new Date('2026-11-22T10:00:00Z')).toISOString()).toBe(
      '2026-11-01T03:00:00.000Z',
    );
  });
});

describe('msUntilNextTick', () => {
  it('is the wait until the following occurrence', () => {
    expect(msUntilNextTick('*/15 * * * *', new Date('2026-11-22T10:15:00.004Z'))).toBe(
      15 * 60_000 - 4,
    );
    expect(msUntilNextTick('*/5 * * * * *', new Date('2026-11-22T10:00:07.100Z'))).toBe(2_900);
  });
});
