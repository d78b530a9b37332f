import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isAlive, readPid } from '../../src/database/data-dir-lock.js';
import { startRegrelayProcess, type RegrelayProcess } from '../support/regrelay-process.js';

/**
 * What a new user does: start regrelay with no database configured, use it, stop
 * it, start it again. Runs the built service (dist/main.js) as a child process.
 */
describe('regrelay as a process, on embedded PostgreSQL', () => {
  let root: string;
  let dataDir: string;
  const running: RegrelayProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const p = await startRegrelayProcess({ REGRELAY_DATA_DIR: dataDir, ...env });
    running.push(p);
    return p;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'regrelay-process-'));
    await chmod(root, 0o755); // as root, the embedded PostgreSQL's user must enter it
    dataDir = join(root, 'data');
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    const orphan = readPid(join(dataDir, 'postgres', 'postmaster.pid'));
    if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGINT');
    await rm(root, { recursive: true, force: true });
  });

  let generatedToken: string;
  let createdToken: string;

  it('starts with nothing configured, hands out a first admin token once, and serves the API with it', async () => {
    const p = await start();
    await p.waitReady(60_000);
    // Not a terminal here: the token is in a file, never in the log stream.
    generatedToken = (await readFile(join(dataDir, 'initial-admin-token'), 'utf8')).trim();
    expect(generatedToken).toMatch(/^rr_/);
    expect(p.output()).not.toContain(generatedToken);

    expect((await fetch(`${p.url}/api/v1/tokens`)).status).toBe(401);
    const auth = { authorization: `Bearer ${generatedToken}` };
    expect((await fetch(`${p.url}/api/v1/tokens`, { headers: auth })).status).toBe(200);
    const res = await fetch(`${p.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept across restarts', role: 'viewer' }),
    });
    expect(res.status).toBe(201);
    createdToken = ((await res.json()) as { token: string }).token;

    expect(existsSync(join(dataDir, 'secret.key'))).toBe(true);
    expect(await p.stop('SIGTERM')).toBe(0);
    // Graceful shutdown stopped PostgreSQL too.
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(existsSync(join(dataDir, 'regrelay.lock'))).toBe(false);
  });

  it('keeps its data across a restart and does not print a new admin token', async () => {
    const p = await start();
    await p.waitReady(60_000);
    expect(p.output()).not.toMatch(/generated the first admin API token/i);
    const res = await fetch(`${p.url}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${generatedToken}` },
    });
    const names = ((await res.json()) as { name: string }[]).map((t) => t.name);
    expect(names).toContain('kept across restarts');
    expect(
      (
        await fetch(`${p.url}/health/live`, {
          headers: { authorization: `Bearer ${createdToken}` },
        })
      ).status,
    ).toBe(200);

    // A second process on the same data directory refuses clearly and harms nothing.
    const second = await start();
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/data directory .* is in use by another regrelay process/);
    expect((await fetch(`${p.url}/health/ready`)).status).toBe(200);

    expect(await p.stop('SIGINT')).toBe(0);
  });

  it('recovers after being killed with SIGKILL (its PostgreSQL left running)', async () => {
    const p = await start();
    await p.waitReady(60_000);
    const orphan = readPid(join(dataDir, 'postgres', 'postmaster.pid'));
    expect(await p.stop('SIGKILL')).toBe('SIGKILL');
    expect(orphan && isAlive(orphan)).toBe(true);

    const again = await start();
    await again.waitReady(60_000);
    for (let i = 0; i < 50 && orphan && isAlive(orphan); i++) await sleep(100);
    expect(isAlive(orphan!)).toBe(false);
    const res = await fetch(`${again.url}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${generatedToken}` },
    });
    expect(res.status).toBe(200);
    expect(await again.stop()).toBe(0);
  });

  it('exits with a message naming the variable when the environment is invalid', async () => {
    const p = await startRegrelayProcess({ REGRELAY_DATA_DIR: dataDir, PORT: 'abc' });
    running.push(p);
    expect(await p.exited).toBe(78);
    expect(p.output()).toContain('PORT: expected an integer from 1 to 65535 (got "abc")');
    // Nothing was started: no lock left behind.
    expect(existsSync(join(dataDir, 'regrelay.lock'))).toBe(false);
  });
});
