import { describe, expect, it } from '@jest/globals';
import { mergeScopes } from './scope.js';

describe('mergeScopes', () => {
  it('lets the whole policy absorb any scope', () => {
    expect(mergeScopes(null, { repositories: { a: ['1'] } })).toBeNull();
    expect(mergeScopes({ repositories: { a: ['1'] } }, null)).toBeNull();
  });

  it('unions tags, lets "every tag" absorb named tags, and keeps the earliest event time', () => {
    const merged = mergeScopes(
      { repositories: { a: ['1'], b: ['x'] }, since: { 'a:1': '2026-11-22T10:00:05Z' } },
      {
        repositories: { a: ['2', '1'], b: [], c: ['y'] },
        since: { 'a:1': '2026-11-22T10:00:01Z', 'c:y': '2026-11-22T10:00:03Z' },
      },
    );
    expect(merged).toEqual({
      repositories: { a: ['1', '2'], b: [], c: ['y'] },
      since: { 'a:1': '2026-11-22T10:00:01Z', 'c:y': '2026-11-22T10:00:03Z' },
    });
  });
});
