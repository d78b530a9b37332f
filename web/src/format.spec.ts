import { describe, expect, it } from '@jest/globals';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatRelative,
  percent,
} from './format';

describe('console formatting', () => {
  it('writes sizes in binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(34.2 * 1024 * 1024)).toBe('34.2 MiB');
    expect(formatBytes(734003200)).toBe('700 MiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5.00 TiB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatRate(12.5 * 1024 * 1024)).toBe('12.5 MiB/s');
    expect(formatCount(100000)).toBe('100,000');
  });

  it('writes times relative to now, past and future', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const at = (ms: number) => new Date(now - ms).toISOString();
    expect(formatRelative(at(2_000), now)).toBe('just now');
    expect(formatRelative(at(42_000), now)).toBe('42 s ago');
    expect(formatRelative(at(5 * 60_000 + 10), now)).toBe('5 min ago');
    expect(formatRelative(at(3 * 3_600_000), now)).toBe('3 h ago');
    expect(formatRelative(at(86_400_000), now)).toBe('1 day ago');
    expect(formatRelative(at(3 * 86_400_000), now)).toBe('3 days ago');
    expect(formatRelative(at(-5 * 60_000), now)).toBe('in 5 min');
    expect(formatRelative('not a date', now)).toBe('—');
  });

  it('writes durations and never shows 100 % before the end', () => {
    expect(formatDuration(350)).toBe('350 ms');
    expect(formatDuration(2_500)).toBe('2.5 s');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
    expect(percent(0, 0)).toBe(0);
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
  });
});
