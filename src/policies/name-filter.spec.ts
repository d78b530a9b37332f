import { describe, expect, it } from '@jest/globals';
import picomatch from 'picomatch';
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

  // Both would run for hours on a backtracking engine (the first never returns);
  // Jest's timeout fails the test if matching is not linear.
  it('matches in linear time whatever the pattern (no ReDoS)', () => {
    const nested = NameFilter.compile(['re:(a+)+$']);
    expect(nested.matches('a'.repeat(32) + '!')).toBe(false);
    expect(nested.matches('a'.repeat(32))).toBe(true);
    const stars = NameFilter.compile(['*-*-*-*-*-*-x']);
    expect(stars.matches('-'.repeat(128))).toBe(false);
    expect(stars.matches('a-b-c-d-e-f-x')).toBe(true);
  });

  it('keeps a re: pattern anchored: it cannot close the group around it', () => {
    // Wrapped as ^(?:v1)|(rc)$ this matched anything starting with v1 or ending with rc.
    expect(() => NameFilter.compile(['re:v1)|(rc'])).toThrow(InvalidPatternError);
    const alternation = NameFilter.compile(['re:v1|rc']);
    expect(pick(alternation, ['v1', 'rc', 'v1-rc', 'v10', 'xrc'])).toEqual(['v1', 'rc']);
  });

  it('refuses what RE2 cannot run, saying so', () => {
    expect(() => NameFilter.compile(['re:(a)\\1'])).toThrow(/invalid escape sequence.*RE2/);
    expect(() => NameFilter.compile(['re:(?=v)v1'])).toThrow(/Perl syntax.*lookarounds/);
    expect(() => NameFilter.compile(['+(a|b)'])).toThrow(/extglobs/);
    expect(() => NameFilter.compile(['!a'])).toThrow(/exclude list/);
    expect(() => NameFilter.compile(['[abc'])).toThrow(/no closing/);
  });

  it('matches globs as picomatch did, over valid repository and tag names', () => {
    const patterns = [
      '*',
      '**',
      'a/*',
      'a/**',
      '**/b',
      'a/**/b',
      '**/a/**',
      'a/**/**/b',
      'a*',
      'a**',
      '*b*',
      'a/*/c',
      '?',
      'a?',
      'v1.?',
      '{a,b}',
      '{a,b}/**',
      'x{a,}',
      '{a,{b,c}}',
      '{a/b,c}/d',
      'a{b,c/**}',
      '[a-c]',
      '[^a]*',
      '[abc]/**',
      'v[0-9].*',
      '\\*',
      'a.b',
      '*.*',
      '*-*',
      'team/app-{api,web}',
      '**/test-*',
      'library/*',
      '*-debug',
      'a/**b',
      '**a',
    ];
    const names = [
      'a',
      'b',
      'c',
      'ab',
      'ba',
      'abc',
      'a.b',
      'axb',
      'a-b',
      'x',
      'xa',
      'v1.0',
      'v1.10',
      'v2.x',
      'a/b',
      'a/c',
      'b/c',
      'a/b/c',
      'a/x/b',
      'a/xb',
      'a/x/y/b',
      'x/a',
      'x/a/y',
      'x/ba',
      'ac/d',
      'ac/d/e',
      'team/app-api',
      'team/app-db',
      'q/test-1',
      'test-1',
      'library/nginx',
      'library/a/b',
      'img-debug',
      'c/d',
      'b/d',
      'a/b/d',
    ];
    const differences: string[] = [];
    for (const pattern of patterns) {
      const ours = NameFilter.compile([pattern]);
      const theirs = picomatch(pattern, { dot: true, strictBrackets: true });
      for (const name of names) {
        if (ours.matches(name) !== theirs(name)) differences.push(`${pattern} ${name}`);
      }
    }
    expect(differences).toEqual([]);
  });
});
