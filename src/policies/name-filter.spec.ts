import { describe, expect, it } from '@jest/globals';
import { InvalidPatternError, NameFilter } from './name-filter.js';

const pick = (filter: NameFilter, names: string[]) => names.filter((n) => filter.matches(n));

describe('NameFilter', () => {
  const repos = [
    'nginx',
    'library/nginx',
    'library/redis',
    'team/app/api',
    'team/app/web',
    'tools',
  ];

  it('keeps * inside one path segment and lets ** cross them', () => {
    expect(pick(NameFilter.compile(['library/*']), repos)).toEqual([
      'library/nginx',
      'library/redis',
    ]);
    expect(pick(NameFilter.compile(['team/*']), repos)).toEqual([]);
    expect(pick(NameFilter.compile(['team/**']), repos)).toEqual(['team/app/api', 'team/app/web']);
    expect(pick(NameFilter.compile(['**']), repos)).toEqual(repos);
  });

  it('supports ? and {a,b}', () => {
    expect(pick(NameFilter.compile(['v1.?']), ['v1.0', 'v1.10', 'v1.x'])).toEqual(['v1.0', 'v1.x']);
    expect(pick(NameFilter.compile(['{nginx,tools}']), repos)).toEqual(['nginx', 'tools']);
  });

  it('anchors re: patterns at both ends', () => {
    const semver = NameFilter.compile(['re:v\\d+\\.\\d+\\.\\d+']);
    expect(pick(semver, ['v1.2.3', 'v1.2.3-rc1', 'xv1.2.3', 'v10.0.0'])).toEqual([
      'v1.2.3',
      'v10.0.0',
    ]);
  });

  it('drops whatever an exclude pattern matches', () => {
    const tags = ['latest', 'v1', 'v1-debug', 'v2', 'dev-123'];
    const filter = NameFilter.compile(['*'], ['*-debug', 're:dev-\\d+']);
    expect(pick(filter, tags)).toEqual(['latest', 'v1', 'v2']);
  });

  it('names the literal names when no include pattern has a wildcard', () => {
    expect(NameFilter.compile(['library/nginx', 'tools'], ['tools']).literalNames()).toEqual([
      'library/nginx',
    ]);
    expect(NameFilter.compile(['library/*']).literalNames()).toBeUndefined();
    expect(NameFilter.compile(['re:tools']).literalNames()).toBeUndefined();
  });

  it('rejects patterns that do not compile, saying which and why', () => {
    expect(() => NameFilter.compile(['re:(unclosed'])).toThrow(InvalidPatternError);
    expect(() => NameFilter.compile(['ok', ''])).toThrow(/empty pattern/);
  });
});
