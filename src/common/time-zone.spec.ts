import { describe, expect, it } from '@jest/globals';
import { canonicalTimeZone, wallTimeIn } from './time-zone.js';

describe('canonicalTimeZone', () => {
  it('accepts IANA names, in any case, and gives their canonical spelling', () => {
    expect(canonicalTimeZone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(canonicalTimeZone('asia/shanghai')).toBe('Asia/Shanghai');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Etc/GMT-8')).toBe('Etc/GMT-8');
  });

  it('refuses offsets, abbreviations that are not zones, and nonsense', () => {
    for (const bad of ['+08:00', 'UTC+8', 'Mars/Olympus', '', 'Asia/Shanghai ', '../etc']) {
      expect({ bad, zone: canonicalTimeZone(bad) }).toEqual({ bad, zone: undefined });
    }
  });
});

describe('wallTimeIn', () => {
  it("reads ACR's sample time as China Standard Time (UTC+8)", () => {
    expect(wallTimeIn('Asia/Shanghai', '2016-11-29 12:25:46')?.toISOString()).toBe(
      '2016-11-29T04:25:46.000Z',
    );
  });

  it('reads the same wall time in other zones, across daylight saving', () => {
    expect(wallTimeIn('UTC', '2016-11-29 12:25:46')?.toISOString()).toBe(
      '2016-11-29T12:25:46.000Z',
    );
    // New York: EST (UTC-5) in January, EDT (UTC-4) in July.
    expect(wallTimeIn('America/New_York', '2026-01-15 09:00:00')?.toISOString()).toBe(
      '2026-01-15T14:00:00.000Z',
    );
    expect(wallTimeIn('America/New_York', '2026-07-15 09:00:00')?.toISOString()).toBe(
      '2026-07-15T13:00:00.000Z',
    );
    // Across midnight and the date line.
    expect(wallTimeIn('Pacific/Auckland', '2026-01-01 05:00:00')?.toISOString()).toBe(
      '2025-12-31T16:00:00.000Z',
    );
  });

  it('takes trailing spaces, a T and fractions; refuses other shapes and impossible dates', () => {
    expect(wallTimeIn('Asia/Shanghai', ' 2016-11-29 12:25:46 ')?.toISOString()).toBe(
      '2016-11-29T04:25:46.000Z',
    );
    expect(wallTimeIn('Asia/Shanghai', '2016-11-29T12:25:46.5')?.toISOString()).toBe(
      '2016-11-29T04:25:46.500Z',
    );
    for (const bad of [
      '2016-02-30 12:00:00',
      '2016-11-29 24:00:00',
      '2016-11-29',
      '2016-11-29 12:25:46Z',
      '29/11/2016 12:25:46',
      '1480393546',
    ]) {
      expect({ bad, at: wallTimeIn('Asia/Shanghai', bad) }).toEqual({ bad, at: undefined });
    }
  });
});
