import { CronTime } from 'cron';
import { whileDatabaseDown, type OutageWaitOptions } from '../../database/outage.js';

const WINDOWS_MS = [
  2_000,
  60_000,
  3_600_000,
  86_400_000,
  32 * 86_400_000,
  366 * 86_400_000,
  4 * 366 * 86_400_000,
];

/**
 * The scheduled instant a cron tick belongs to: the latest occurrence of the
 * expression at or before `now` (plus a second of slack: timers fire a little late
 * or early). Every replica computes the same instant for the same tick, so it is a
 * key only one of them can insert.
 */
export function scheduledInstant(expression: string, now: Date, timeZone = 'UTC'): Date {
  const time = new CronTime(expression, timeZone);
  const horizon = now.getTime() + 1000;
  // The smallest window back from the horizon that holds an occurrence holds few.
  for (const window of WINDOWS_MS) {
    let cursor = new Date(horizon - window);
    let latest: Date | undefined;
    for (let i = 0; i < 1000; i++) {
      // The zone again: without it, cron reads a Date in the process's local time zone.
      const next = time.getNextDateFrom(cursor, timeZone).toJSDate();
      if (next.getTime() > horizon) break;
      latest = next;
      cursor = next;
    }
    if (latest) return new Date(Math.floor(latest.getTime() / 1000) * 1000);
  }
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

/**
 * How long until the expression's next occurrence after `now`: a tick held up by a
 * database outage keeps trying until then, and the next tick carries on after it.
 */
export function msUntilNextTick(expression: string, now: Date, timeZone = 'UTC'): number {
  const next = new CronTime(expression, timeZone).getNextDateFrom(now, timeZone).toJSDate();
  return Math.max(0, next.getTime() - now.getTime());
}

/**
 * Runs the steps of one tick, each waiting out a database outage until the
 * schedule's next tick is due (then that one carries on) or `closing` is aborted.
 */
export function tickSteps(
  expression: string,
  now: Date,
  closing: AbortSignal,
  onOutage: OutageWaitOptions['onOutage'],
): <T>(step: () => Promise<T>) => Promise<T> {
  const signal = AbortSignal.any([
    closing,
    AbortSignal.timeout(Math.max(1000, msUntilNextTick(expression, now))),
  ]);
  return (step) => whileDatabaseDown(step, { signal, onOutage });
}
