import { CronTime } from 'cron';
import type { GateOutcome, WindowGate } from './gate-types.js';
import type { GateContext } from './gate-context.js';

/** The window `now` is in, if any, else when the next one opens. */
export function windowAt(
  gate: WindowGate,
  now: Date,
): { open: true; openedAt: Date; closesAt: Date } | { open: false; opensAt: Date } {
  const zone = gate.timeZone ?? 'UTC';
  const time = new CronTime(gate.cron, zone);
  const duration = gate.durationMinutes * 60_000;
  // getNextDateFrom reads the expression in the zone it is given, not the constructor's.
  const next = (from: Date) => time.getNextDateFrom(from, zone).toJSDate();
  // The first opening after (now − duration) is the current window when it is not in the future.
  const candidate = next(new Date(now.getTime() - duration - 1));
  if (candidate.getTime() <= now.getTime())
    return { open: true, openedAt: candidate, closesAt: new Date(candidate.getTime() + duration) };
  return { open: false, opensAt: next(now) };
}

/** Promotions into the stage only inside the windows; a freeze outside them. */
export function evaluateWindow(gate: WindowGate, ctx: GateContext): GateOutcome {
  const w = windowAt(gate, ctx.now);
  const schedule = `${gate.cron} (${gate.timeZone ?? 'UTC'}), ${gate.durationMinutes} min each`;
  if (w.open)
    return {
      status: 'passed',
      reason: `inside the window opened at ${w.openedAt.toISOString()}, closing at ${w.closesAt.toISOString()}`,
      evidence: {
        openedAt: w.openedAt.toISOString(),
        closesAt: w.closesAt.toISOString(),
        schedule,
      },
    };
  return {
    status: 'pending',
    reason: `frozen: outside the promotion windows (${schedule}); the next opens at ${w.opensAt.toISOString()}`,
    evidence: { opensAt: w.opensAt.toISOString(), schedule },
    recheckAt: w.opensAt,
  };
}
