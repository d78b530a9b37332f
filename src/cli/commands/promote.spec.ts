import { describe, expect, it } from '@jest/globals';
import { parseReference } from './promote.js';

describe('regrelay promote <repository>@<digest|tag>', () => {
  it('reads a digest, a tag after @, or a tag after :', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(parseReference(`team/app@${digest}`)).toEqual({ repository: 'team/app', digest });
    expect(parseReference('team/app@1.4.2')).toEqual({ repository: 'team/app', tag: '1.4.2' });
    expect(parseReference('team/app:1.4.2')).toEqual({ repository: 'team/app', tag: '1.4.2' });
  });

  it('refuses a reference without a digest or tag', () => {
    expect(() => parseReference('team/app')).toThrow(/<repository>@<digest\|tag>/);
  });
});
