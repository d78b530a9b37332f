import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

describe('in a process whose local time zone is not UTC', () => {
  it('still computes ticks in UTC, as the cron jobs fire', () => {
    // A process of its own: the time zone is read when the process starts. It loads the
    // built module (dist/, which `npm test` builds first). A half-hour offset shows
    // every mix-up of local time and UTC.
    const module = pathToFileURL(
      join(import.meta.dirname, '../../../dist/replication/triggers/cron-tick.js'),
    );
    const script = `
      const { msUntilNextTick, scheduledInstant } = await import(${JSON.stringify(module.href)});
      console.log(JSON.stringify({
        hour: new Date('2026-11-01T03:00:00Z').getHours(),
        instant: scheduledInstant('0 3 1 * *', new Date('2026-11-22T10:00:00Z')).toISOString(),
        wait: msUntilNextTick('0 3 * * *', new Date('2026-11-22T02:00:00Z')),
      }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TZ: 'Asia/Kolkata', NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      hour: 8, // 03:00 UTC is 08:30 there: the zone took effect
      instant: '2026-11-01T03:00:00.000Z',
      wait: 3_600_000,
    });
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
