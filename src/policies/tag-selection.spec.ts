import { describe, expect, it } from '@jest/globals';
import { TagSelection } from './tag-selection.js';

const HEX = 'f'.repeat(64);
const selection = (extra: { semver?: string; latest?: number } = {}) =>
  new TagSelection({ tags: ['*'], excludeTags: ['*-debug'], ...extra });

describe('TagSelection', () => {
  it('never selects the tags that hold attached artifacts, whatever the patterns', () => {
    const all = selection();
    for (const tag of [`sha256-${HEX}`, `sha256-${HEX}.sig`, `sha256-${HEX}.att`])
      expect([tag, all.matches(tag), all.matchesName(tag)]).toEqual([tag, false, false]);
    expect(all.matches('v1')).toBe(true);
    expect(all.matches('v1-debug')).toBe(false);
    expect(all.retains).toBe(false);
  });

  it.each([
    ['1.2.0', true],
    ['v1.5.3', true],
    ['1.9.9', true],
    ['1.0.0', false],
    ['2.0.0', false],
    ['1.9.0-rc.1', false],
    ['latest', false],
    ['1.x', false],
  ])('with semver ">=1.2 <2", %s is selected: %s', (tag, selected) => {
    const s = selection({ semver: '>=1.2 <2' });
    expect(s.matches(tag)).toBe(selected);
    expect(s.matchesName(tag)).toBe(true);
    expect(s.retains).toBe(true);
  });

  it('keeps latest for the walk to rank', () => {
    expect(selection({ latest: 3 }).latest).toBe(3);
    expect(selection().latest).toBeUndefined();
  });
});
