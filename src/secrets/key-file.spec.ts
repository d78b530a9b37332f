import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KeyFileError, loadOrCreateKeyFile } from './key-file.js';

describe('loadOrCreateKeyFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regrelay-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key with mode 0600 once, then reads the same key', async () => {
    const first = await loadOrCreateKeyFile(dir);
    expect(first).toHaveLength(32);
    expect((await stat(join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateKeyFile(dir)).toEqual(first);
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    await writeFile(join(dir, 'secret.key'), 'not a key\n');
    await expect(loadOrCreateKeyFile(dir)).rejects.toThrow(KeyFileError);
    expect(await readFile(join(dir, 'secret.key'), 'utf8')).toBe('not a key\n');
  });
});
