import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startRegrelayProcess, type RegrelayProcess } from '../support/regrelay-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The JSON log lines of a process's output (a terminal's output also has other text). */
function logLines(output: string): string[] {
  return output.split(/\r?\n/).filter((line) => line.startsWith('{'));
}

/**
 * A first start without REGRELAY_ADMIN_TOKEN generates an admin token; it must never
 * go into the JSON log stream (stdout), which collectors keep.
 */
describe('the generated first admin token', () => {
  let root: string;
  let database: TestDatabase | undefined;
  let running: RegrelayProcess | undefined;
  const start = async (dataDir: string, terminal: boolean) => {
    database = await createTestDatabase();
    running = await startRegrelayProcess(
      {
        REGRELAY_DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
        REGRELAY_WORKERS: '0',
      },
      undefined,
      { terminal },
    );
    await running.waitReady(60_000);
    return running;
  };
  const works = async (p: RegrelayProcess, token: string) =>
    (await fetch(`${p.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } }))
      .status;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'regrelay-first-token-'));
  });
  afterEach(async () => {
    await running?.stop('SIGTERM');
    await database?.drop();
    running = database = undefined;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('goes to a 0600 file in the data directory when stderr is not a terminal; the log names the file', async () => {
    const dataDir = join(root, 'piped');
    const p = await start(dataDir, false);
    const file = join(dataDir, 'initial-admin-token');
    const token = (await readFile(file, 'utf8')).trim();
    expect(token).toMatch(/^rr_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(p.output()).not.toContain(token);
    expect(logLines(p.output()).some((line) => line.includes(file))).toBe(true);
    expect(await works(p, token)).toBe(200);
  });

  it('is printed on the terminal when stderr is one, and still not logged', async () => {
    const dataDir = join(root, 'terminal');
    const p = await start(dataDir, true);
    const match =
      /generated the first admin API token[^\n]*\r?\n\s*\r?\n\s*(rr_[A-Za-z0-9_-]+)/.exec(
        p.output(),
      );
    expect(match).not.toBeNull();
    const token = match![1]!;
    expect(logLines(p.output()).length).toBeGreaterThan(0);
    expect(logLines(p.output()).filter((line) => line.includes(token))).toEqual([]);
    expect(existsSync(join(dataDir, 'initial-admin-token'))).toBe(false);
    expect(await works(p, token)).toBe(200);
  });
});
