import { describe, expect, it } from '@jest/globals';
import { NameFilter } from './name-filter.js';
import { namespaceOverlap } from './namespace-overlap.js';

const overlaps = (namespace: string, include: string[], exclude: string[] = []) =>
  namespaceOverlap(namespace, include, exclude)?.pattern;

describe('namespaceOverlap', () => {
  it('finds include patterns that select repositories under the namespace', () => {
    expect(overlaps('mirror', ['**'])).toBe('**');
    expect(overlaps('mirror', ['team-a/**', 'm*/**'])).toBe('m*/**');
    expect(overlaps('mirror', ['*/app'])).toBe('*/app');
    expect(overlaps('mirror', ['**/app'])).toBe('**/app');
    expect(overlaps('backup/daily', ['backup/**'])).toBe('backup/**');
    expect(overlaps('backup/daily', ['*/*/x'])).toBe('*/*/x');
    expect(overlaps('mirror', ['{team-a,mirror}/**'])).toBe('{team-a,mirror}/**');
    expect(overlaps('mirror', ['{team-a/x,mirror/y}'])).toBe('{team-a/x,mirror/y}');
    expect(namespaceOverlap('mirror', ['re:team-a/.*'], [])).toEqual({
      pattern: 're:team-a/.*',
      regex: true,
    });
  });

  it('allows namespaces no destination name of which the filters can select', () => {
    expect(overlaps('backup', ['team-a/**'])).toBeUndefined();
    expect(overlaps('backup', ['*'])).toBeUndefined(); // one segment; backup/x has two
    expect(overlaps('mirror', ['mirror'])).toBeUndefined(); // mirror itself, not under it
    expect(overlaps('backup/daily', ['backup/*'])).toBeUndefined();
    expect(overlaps('mirror', ['library/*', 'team/{a,b}/**'])).toBeUndefined();
  });

  it('allows an overlap that an exclude glob covers entirely', () => {
    expect(overlaps('mirror', ['**'], ['mirror/**'])).toBeUndefined();
    expect(overlaps('mirror', ['**'], ['mir*/**'])).toBeUndefined();
    expect(overlaps('mirror/eu', ['**'], ['mirror/**'])).toBeUndefined();
    expect(overlaps('mirror', ['re:.*'], ['mirror/**'])).toBeUndefined();
    // Only part of mirror/ is excluded: mirror/y is still selected.
    expect(overlaps('mirror', ['**'], ['mirror/x/**'])).toBe('**');
    expect(overlaps('mirror', ['**'], ['mirror/*'])).toBe('**');
  });

  // Soundness against the real filter: whenever it says "no overlap", no
  // selected repository's destination name is selected again.
  it('never misses a destination name the filter would select again', () => {
    const repositories = [
      'a',
      'a/b',
      'm',
      'm/a',
      'm/x/y',
      'mirror',
      'mirror/a',
      'x/mirror',
      'team-a/app',
    ];
    const namespaces = ['m', 'mirror', 'm/x', 'backup'];
    const includes = [
      ['**'],
      ['*/*'],
      ['**/a'],
      ['m*/**'],
      ['{a,m}/**'],
      ['team-a/**'],
      ['*'],
      ['m/*/y'],
    ];
    const excludes = [[], ['m/**'], ['mirror/a'], ['m/x/**'], ['*/*']];
    const missed: string[] = [];
    for (const namespace of namespaces)
      for (const include of includes)
        for (const exclude of excludes) {
          if (namespaceOverlap(namespace, include, exclude)) continue;
          const filter = NameFilter.compile(include, exclude);
          const again = repositories.find(
            (r) => filter.matches(r) && filter.matches(`${namespace}/${r}`),
          );
          if (again) missed.push(`${namespace} ${include.join()} -${exclude.join()}: ${again}`);
        }
    expect(missed).toEqual([]);
  });
});
