import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeKey } from '../config/app-config.js';

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/**
 * The embedded default's secret key: `<dataDir>/secret.key`, 32 random bytes in
 * base64, mode 0600, made on first start. Losing it makes stored registry
 * credentials unreadable, so it is never regenerated over an existing file.
 */
export async function loadOrCreateKeyFile(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, 'secret.key');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(32);
    // 'wx': if another process raced us here, fail rather than overwrite its key.
    await writeFile(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  }
  const key = decodeKey(text.trim());
  if (!key) {
    throw new KeyFileError(`${path} does not hold a 32-byte key (64 hex characters or base64).`);
  }
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, 0o600); // tighten a copy restored loosely
  return key;
}
