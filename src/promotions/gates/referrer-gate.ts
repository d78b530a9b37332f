import type { GateContext } from './gate-context.js';
import type { GateOutcome, ReferrerGate } from './gate-types.js';

export const REFERRER_RECHECK_MS = 15_000;

/** A referrer of this artifact type (an SBOM, an attestation) is attached in the source stage. */
export async function evaluateReferrer(gate: ReferrerGate, ctx: GateContext): Promise<GateOutcome> {
  const found = await ctx.source.referrers(ctx.sourceRepository, ctx.digest, {
    artifactType: gate.artifactType,
    signal: ctx.signal,
  });
  const where = `stage ${ctx.sourceStage} (${ctx.sourceRegistry}, ${ctx.sourceRepository})`;
  if (found.descriptors.length)
    return {
      status: 'passed',
      reason: `${found.descriptors.length} referrer(s) of type ${gate.artifactType} attached in ${where}`,
      evidence: { referrers: found.descriptors.map((d) => d.digest), via: found.via },
    };
  return {
    status: 'pending',
    reason: `no referrer of type ${gate.artifactType} attached to ${ctx.digest} in ${where}; looking again every ${REFERRER_RECHECK_MS / 1000} s`,
    evidence: { via: found.via },
    recheckAt: new Date(ctx.now.getTime() + REFERRER_RECHECK_MS),
  };
}
