/**
 * Runs `task` once after `firstAfterMs`, then every `everyMs`, without keeping the
 * process alive for it; a failure goes to `onError` and the next run happens anyway.
 * Returns what stops it (call it on shutdown).
 */
export function runPeriodically(
  task: () => Promise<unknown>,
  { everyMs, firstAfterMs = everyMs }: { everyMs: number; firstAfterMs?: number },
  onError: (error: unknown) => void,
): () => void {
  const run = () => void task().catch(onError);
  const timers = [setTimeout(run, firstAfterMs), setInterval(run, everyMs)];
  for (const timer of timers) timer.unref();
  return () => timers.forEach((timer) => clearTimeout(timer));
}
