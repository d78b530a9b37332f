import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataDirInUseError, DataDirLock } from './data-dir-lock.js';

describe('DataDirLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regrelay-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is exclusive while held and free after release', () => {
    const lock = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirInUseError);
    lock.release();
    DataDirLock.acquire(dir).release();
  });

  it('names the holder and the way out', () => {
    const lock = DataDirLock.acquire(dir);
    try {
      DataDirLock.acquire(dir);
    } catch (error) {
      expect((error as Error).message).toMatch(
        new RegExp(
          `in use by another regrelay process \\(pid ${process.pid}\\).*REGRELAY_DATA_DIR`,
        ),
      );
    } finally {
      lock.release();
    }
  });

  it('takes over a lock left by a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) =>
      child.on('exit', () => resolve(child.pid!)),
    );
    await writeFile(join(dir, 'regrelay.lock'), JSON.stringify({ pid: deadPid }) + '\n');
    const lock = DataDirLock.acquire(dir);
    expect(JSON.parse(await readFile(join(dir, 'regrelay.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose pid was reused by a later process (container restarts)', async () => {
    await writeFile(
      join(dir, 'regrelay.lock'),
      JSON.stringify({ pid: process.pid, started: '1' }) + '\n',
    );
    DataDirLock.acquire(dir).release();
  });
});
