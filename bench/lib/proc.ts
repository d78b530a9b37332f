import { readdir, readFile } from 'node:fs/promises';

/** Resident set size of a process, in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * 1024;
}

/**
 * Bytes a process has written through write-like calls, sockets included (Linux
 * /proc/PID/io `wchar`). For a source registry, which receives small requests and
 * answers with blobs, the growth of this counter during a run is the bytes it served:
 * a measure of egress that needs no proxy and is the same for every tool.
 */
export async function bytesWrittenBy(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const value = /^wchar:\s+(\d+)$/m.exec(io)?.[1];
  if (value === undefined) throw new Error(`no wchar for pid ${pid}`);
  return Number(value);
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, intervalMs = 50): { stop(): Promise<number> } {
  let peak = 0;
  let pending: Promise<void> = Promise.resolve();
  const sample = () => {
    pending = rssOf(pid).then(
      (rss) => void (peak = Math.max(peak, rss)),
      () => undefined, // the process may be gone; the peak so far stands
    );
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      sample();
      await pending;
      return peak;
    },
  };
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc/PID/stat). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Processes below `pid` (children, their children…), from /proc's parent links. */
export async function descendantsOf(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone while listing
    }
  }
  const found: number[] = [];
  const queue = [...(parents.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(parents.get(next) ?? []));
  }
  return found;
}

/**
 * CPU seconds used so far by a set of processes, those gone since counting nothing
 * (which is why callers sample long-lived processes: registries, PostgreSQL backends
 * held open by a connection pool).
 */
export async function cpuSecondsOfAll(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  await Promise.all(
    pids.map(async (pid) => {
      try {
        out.set(pid, await cpuSecondsOf(pid));
      } catch {
        // exited
      }
    }),
  );
  return out;
}

/**
 * Where the CPU went during a run: sample before and after, and per group the CPU
 * the processes used in between (a process that started during the run counts from
 * zero; one that ended counts nothing after its last sample).
 */
export class CpuMeter<G extends string> {
  private before = new Map<number, number>();

  constructor(private readonly groups: () => Promise<Record<G, readonly number[]>>) {}

  async start(): Promise<void> {
    this.before = await cpuSecondsOfAll(
      Object.values<readonly number[]>(await this.groups()).flat(),
    );
  }

  async stop(): Promise<Record<G, number>> {
    const groups = await this.groups();
    const out = {} as Record<G, number>;
    for (const [name, pids] of Object.entries(groups) as [G, readonly number[]][]) {
      const now = await cpuSecondsOfAll(pids);
      let sum = 0;
      for (const [pid, seconds] of now) sum += seconds - (this.before.get(pid) ?? 0);
      out[name] = sum;
    }
    return out;
  }
}
