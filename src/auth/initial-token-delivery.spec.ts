import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { deliverGeneratedToken, INITIAL_TOKEN_FILE } from './initial-token-delivery.js';

describe('deliverGeneratedToken', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regrelay-first-token-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a 0600 file, replacing an earlier one whole, when there is no terminal', async () => {
    const dataDir = join(dir, 'data');
    const notATerminal = { isTTY: false, write: () => true };
    await deliverGeneratedToken('rr_first', dataDir, notATerminal);
    // An earlier file someone loosened: replaced by a new 0600 one, not rewritten in place.
    await rm(join(dataDir, INITIAL_TOKEN_FILE));
    await writeFile(join(dataDir, INITIAL_TOKEN_FILE), 'rr_first\n', { mode: 0o644 });
    expect(await deliverGeneratedToken('rr_second', dataDir, notATerminal)).toEqual({
      to: 'file',
      path: join(dataDir, INITIAL_TOKEN_FILE),
    });
    expect(await readFile(join(dataDir, INITIAL_TOKEN_FILE), 'utf8')).toBe('rr_second\n');
    expect((await stat(join(dataDir, INITIAL_TOKEN_FILE))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual([INITIAL_TOKEN_FILE]); // no partial file left
  });

  it('prints on the terminal, and writes no file, when stderr is one', async () => {
    const written: string[] = [];
    const terminal = { isTTY: true, write: (text: string) => written.push(text) > 0 };
    expect(await deliverGeneratedToken('rr_shown', dir, terminal)).toEqual({ to: 'terminal' });
    expect(written.join('')).toContain('rr_shown');
    expect(await readdir(dir)).toEqual([]);
  });
});
