import type { GateOutcome, SoakGate } from './gate-types.js';
import type { GateContext } from './gate-context.js';

const HOW: Record<string, string> = {
  promotion: 'promoted there',
  rollback: 'rolled back there',
  event: "reported by the registry's push event",
  observed: 'first seen there by regrelay',
};

/** The digest has been in the source stage at least `seconds`. */
export function evaluateSoak(gate: SoakGate, ctx: GateContext): GateOutcome {
  const since = ctx.arrival?.at ?? ctx.now;
  const how = HOW[ctx.arrival?.how ?? 'observed'] ?? ctx.arrival?.how;
  const until = new Date(since.getTime() + gate.seconds * 1000);
  const evidence = {
    since: since.toISOString(),
    how: ctx.arrival?.how ?? 'observed',
    seconds: gate.seconds,
  };
  if (ctx.now >= until)
    return {
      status: 'passed',
      reason: `in stage ${ctx.sourceStage} since ${since.toISOString()} (${how}), at least ${gate.seconds} s`,
      evidence,
    };
  return {
    status: 'pending',
    reason: `soaking: in stage ${ctx.sourceStage} since ${since.toISOString()} (${how}); ${gate.seconds} s are needed, until ${until.toISOString()}`,
    evidence,
    recheckAt: until,
  };
}
