import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a generated first admin token went: the operator's terminal, or a file. */
export type Delivery = { to: 'terminal' } | { to: 'file'; path: string };

/** The terminal regrelay may print to (process.stderr in production). */
export interface Terminal {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

export const INITIAL_TOKEN_FILE = 'initial-admin-token';

/**
 * Hands the generated first admin token to the operator without it entering the log
 * stream (stdout carries JSON logs that collectors keep for months):
 * - stderr is a terminal: printed there, once;
 * - otherwise (a container, a service manager): written to `<dataDir>/initial-admin-token`
 *   with mode 0600, and only that path is logged. Replaced atomically if an earlier
 *   one is there (a first token revoked before a new one was generated).
 */
export async function deliverGeneratedToken(
  token: string,
  dataDir: string,
  terminal: Terminal = process.stderr,
): Promise<Delivery> {
  if (terminal.isTTY) {
    terminal.write(
      `\nregrelay: generated the first admin API token (shown once, store it now):\n\n  ${token}\n\n` +
        'Use it as "Authorization: Bearer <token>". Set REGRELAY_ADMIN_TOKEN to choose your own.\n\n',
    );
    return { to: 'terminal' };
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, INITIAL_TOKEN_FILE);
  const partial = `${path}.${process.pid}.tmp`;
  try {
    // 'wx' with 0600: the secret is never readable by others, not even for a moment.
    await writeFile(partial, `${token}\n`, { mode: 0o600, flag: 'wx' });
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { to: 'file', path };
}
