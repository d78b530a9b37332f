import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds the data directory. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data directory ${dataDir} is in use by another regrelay process (pid ${pid}). ` +
        'Stop that process first, or set REGRELAY_DATA_DIR to another directory.',
    );
  }
}

interface Holder {
  pid: number;
  /** Kernel start time of the process (Linux), to tell a reused pid from the holder. */
  started?: string;
}

/**
 * An exclusive lock file in the data directory. It keeps a second regrelay from
 * starting a second PostgreSQL on the same files. A lock left by a process that
 * died is recognised and taken over: its pid is gone, or (in a container, where
 * every run is pid 1) the pid now belongs to a process started at another time.
 */
export class DataDirLock {
  private released = false;
  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    const path = join(dataDir, 'regrelay.lock');
    const me: Holder = { pid: process.pid, started: startTimeOf(process.pid) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o644);
        writeSync(fd, JSON.stringify(me) + '\n');
        closeSync(fd);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = readHolder(path);
        if (holder && isHolderAlive(holder)) throw new DataDirInUseError(dataDir, holder.pid);
        rmSync(path, { force: true });
      }
    }
    throw new Error(`Could not take the lock file ${path}; another process keeps replacing it.`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const holder = readHolder(this.path);
    if (holder?.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, started: parsed.started }
      : undefined;
  } catch {
    return undefined; // unreadable or half-written: treat as stale
  }
}

function isHolderAlive(holder: Holder): boolean {
  if (!isAlive(holder.pid)) return false;
  const started = startTimeOf(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** Reads the first line of a pid file such as PostgreSQL's postmaster.pid. */
export function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); Linux only. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its ')' are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
