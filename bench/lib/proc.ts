import { readFile } from 'node:fs/promises';

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
