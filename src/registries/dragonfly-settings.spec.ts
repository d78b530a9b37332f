import { describe, expect, it } from '@jest/globals';
import { InvalidInputException } from '../common/validation.js';
import { dragonflyColumns } from './dragonfly-settings.js';

const seal = (token: string) => `sealed(${token})`;
const none = { dragonfly: null, dragonflyTokenSealed: null };

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputException) return error.errors[0]?.field;
    throw error;
  }
  return undefined;
}

describe('dragonflyColumns', () => {
  it('fills the defaults and seals the token', () => {
    expect(dragonflyColumns({ url: 'http://df.example:8080/', token: 't' }, none, seal)).toEqual({
      dragonfly: {
        url: 'http://df.example:8080',
        scope: 'single_seed_peer',
        platforms: [],
        schedulerClusterIds: [],
        passCredentials: false,
      },
      dragonflyTokenSealed: 'sealed(t)',
    });
  });

  it('keeps the stored token on the same origin and asks for one on another', () => {
    const current = dragonflyColumns({ url: 'http://df.example', token: 't' }, none, seal);
    expect(
      dragonflyColumns({ url: 'http://df.example', scope: 'all_peers' }, current, seal),
    ).toMatchObject({
      dragonfly: { scope: 'all_peers' },
      dragonflyTokenSealed: 'sealed(t)',
    });
    expect(
      fieldOf(() => dragonflyColumns({ url: 'http://elsewhere.example' }, current, seal)),
    ).toBe('dragonfly.token');
    expect(fieldOf(() => dragonflyColumns({ url: 'http://df.example' }, none, seal))).toBe(
      'dragonfly.token',
    );
  });

  it('refuses a URL with a path or another scheme, naming the field', () => {
    expect(fieldOf(() => dragonflyColumns({ url: 'http://df/api', token: 't' }, none, seal))).toBe(
      'dragonfly.url',
    );
    expect(fieldOf(() => dragonflyColumns({ url: 'ftp://df', token: 't' }, none, seal))).toBe(
      'dragonfly.url',
    );
  });

  it('removes everything on null', () => {
    const current = dragonflyColumns({ url: 'http://df.example', token: 't' }, none, seal);
    expect(dragonflyColumns(null, current, seal)).toEqual(none);
  });
});
