import type { ApprovalGate, GateOutcome } from './gate-types.js';
import type { GateContext } from './gate-context.js';

const DEFAULT_ROLES = ['operator', 'admin'];

/** All the approval gate reads: it needs no registry, so a rejection can decide it at once. */
export type ApprovalContext = Pick<
  GateContext,
  'decisions' | 'requestedByTokenId' | 'requestedAt' | 'now'
>;

/**
 * N distinct approvers, never the requester, each holding one of the roles; one
 * rejection refuses. Approvals are given with POST /promotions/:id/approve.
 */
export function evaluateApproval(gate: ApprovalGate, ctx: ApprovalContext): GateOutcome {
  const rejected = ctx.decisions.find((d) => d.decision === 'reject');
  const roles = gate.roles ?? DEFAULT_ROLES;
  const approvals = ctx.decisions.filter(
    (d) =>
      d.decision === 'approve' && d.tokenId !== ctx.requestedByTokenId && roles.includes(d.role),
  );
  const evidence = {
    approvers: approvals.map((a) => ({
      name: a.name,
      role: a.role,
      at: a.decidedAt.toISOString(),
      comment: a.comment,
    })),
    required: gate.required,
  };
  if (rejected)
    return {
      status: 'refused',
      reason: `rejected by ${rejected.name}${rejected.comment ? `: ${rejected.comment}` : ''}`,
      evidence: { ...evidence, rejectedBy: rejected.name, comment: rejected.comment },
    };
  const names = approvals.map((a) => a.name).join(', ');
  if (approvals.length >= gate.required)
    return {
      status: 'passed',
      reason: `approved by ${names}`,
      evidence,
    };
  const expiresAt = gate.expiresAfterSeconds
    ? new Date(ctx.requestedAt.getTime() + gate.expiresAfterSeconds * 1000)
    : undefined;
  if (expiresAt && ctx.now >= expiresAt)
    return {
      status: 'refused',
      reason: `approval expired: ${approvals.length} of ${gate.required} approvals within ${gate.expiresAfterSeconds} s of the request`,
      evidence,
    };
  return {
    status: 'pending',
    reason:
      `waiting for approval: ${approvals.length} of ${gate.required} approvals` +
      (names ? ` (${names})` : '') +
      ` from distinct ${roles.join(' or ')} tokens other than the requester's` +
      (expiresAt ? `; expires at ${expiresAt.toISOString()}` : ''),
    evidence,
    recheckAt: expiresAt,
  };
}
