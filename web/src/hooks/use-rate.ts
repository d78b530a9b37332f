import { useRef } from 'preact/hooks';
import type { Execution } from '../api/types';

const RATE_WINDOW_MS = 10_000;

/** Bytes per second over the last few seconds of an execution's updates, as this page saw them. */
export function useRate(e: Execution | undefined): number | undefined {
  const samples = useRef<{ at: number; bytes: number }[]>([]);
  if (e) {
    const now = Date.now();
    const list = samples.current;
    if (!list.length || list[list.length - 1]!.bytes !== e.bytesDone)
      list.push({ at: now, bytes: e.bytesDone });
    while (list.length > 2 && now - list[0]!.at > RATE_WINDOW_MS) list.shift();
  }
  const list = samples.current;
  if (list.length < 2) return undefined;
  const first = list[0]!;
  const last = list[list.length - 1]!;
  const seconds = (last.at - first.at) / 1000;
  return seconds > 0 ? (last.bytes - first.bytes) / seconds : undefined;
}
