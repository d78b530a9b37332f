import { describeError } from '../../common/describe-error.js';
import { evaluateApproval, type ApprovalContext } from './approval-gate.js';
import { evaluateCheck } from './check-gate.js';
import type { GateContext } from './gate-context.js';
import type { ApprovalGate, Gate, GateOutcome, GateRecord, GateStatus } from './gate-types.js';
import { evaluateReferrer } from './referrer-gate.js';
import { evaluateSignature } from './signature-gate.js';
import { evaluateSoak } from './soak-gate.js';
import { evaluateWindow } from './window-gate.js';

/** A gate that could not be checked (registry down) is tried again after this. */
const ERROR_RECHECK_MS = 15_000;
/** Cheap gates are decided again at every evaluation; the others when due. */
const ALWAYS_AGAIN = new Set(['approval', 'soak', 'window']);

export interface GateVerdict {
  records: GateRecord[];
  status: GateStatus;
  /** When a pending promotion should be evaluated again (null: on an event only). */
  nextEvaluationAt: Date | null;
}

type EvaluationInput = Omit<GateContext, 'previous'>;

/**
 * Evaluates a promotion's gates. Passed and refused gates stay so (their evidence
 * was recorded when they decided), except the window, which must hold when the copy
 * starts. The external check is called only once every other gate has passed, so a
 * promotion waiting for approval does not call it again and again.
 */
export async function evaluateGates(
  records: readonly GateRecord[],
  input: EvaluationInput,
): Promise<GateVerdict> {
  const next: GateRecord[] = [];
  for (const record of records) {
    if (record.type === 'check') {
      next.push(record);
      continue;
    }
    next.push(await decide(record, input));
  }
  const othersPassed = next.every((r) => r.type === 'check' || r.status === 'passed');
  for (const [i, record] of next.entries()) {
    if (record.type !== 'check') continue;
    next[i] = othersPassed
      ? await decide(record, input)
      : record.status === 'pending'
        ? { ...record, reason: 'called once the other gates have passed', nextCheckAt: null }
        : record;
  }
  return verdictOf(next);
}

export function verdictOf(records: GateRecord[]): GateVerdict {
  const status: GateStatus = records.some((r) => r.status === 'refused')
    ? 'refused'
    : records.every((r) => r.status === 'passed')
      ? 'passed'
      : 'pending';
  const times = records
    .filter((r) => r.status === 'pending' && r.nextCheckAt)
    .map((r) => Date.parse(r.nextCheckAt!));
  return {
    records,
    status,
    nextEvaluationAt: status === 'pending' && times.length ? new Date(Math.min(...times)) : null,
  };
}

async function decide(record: GateRecord, input: EvaluationInput): Promise<GateRecord> {
  if (record.status === 'refused') return record;
  if (record.status === 'passed' && record.type !== 'window') return record;
  const due =
    ALWAYS_AGAIN.has(record.type) ||
    !record.nextCheckAt ||
    Date.parse(record.nextCheckAt) <= input.now.getTime();
  if (!due) return record;
  let outcome: GateOutcome;
  try {
    outcome = await evaluate(record.config, { ...input, previous: record });
  } catch (error) {
    if (input.signal.aborted) throw error;
    outcome = {
      status: 'pending',
      reason: `could not be checked: ${describeError(error)}; trying again in ${ERROR_RECHECK_MS / 1000} s`,
      evidence: record.evidence,
      recheckAt: new Date(input.now.getTime() + ERROR_RECHECK_MS),
    };
  }
  return recorded(record, outcome, input.now);
}

function recorded(record: GateRecord, outcome: GateOutcome, now: Date): GateRecord {
  return {
    ...record,
    status: outcome.status,
    reason: outcome.reason,
    evidence: outcome.evidence ?? {},
    evaluatedAt: now.toISOString(),
    nextCheckAt: outcome.status === 'pending' ? (outcome.recheckAt?.toISOString() ?? null) : null,
  };
}

/**
 * The gates of a refused promotion that were still pending: nobody looks at them again,
 * so each says it was not decided instead of what it was waiting for and when it would
 * look again.
 */
export function undecidedAfterRefusal(records: readonly GateRecord[]): GateRecord[] {
  return records.map((r) =>
    r.status === 'pending'
      ? {
          ...r,
          status: 'skipped',
          reason: 'not decided: the promotion was refused',
          nextCheckAt: null,
        }
      : r,
  );
}

/**
 * A pending approval gate decided again from the decisions alone, as a rejection
 * needs: its record then says who rejected and why. The other gates stay as they were.
 */
export function withApprovalDecided(
  records: readonly GateRecord[],
  ctx: ApprovalContext,
): GateRecord[] {
  return records.map((r) =>
    r.type === 'approval' && r.status === 'pending'
      ? recorded(r, evaluateApproval(r.config as ApprovalGate, ctx), ctx.now)
      : r,
  );
}

function evaluate(gate: Gate, ctx: GateContext): GateOutcome | Promise<GateOutcome> {
  switch (gate.type) {
    case 'approval':
      return evaluateApproval(gate, ctx);
    case 'signature':
      return evaluateSignature(gate, ctx);
    case 'referrer':
      return evaluateReferrer(gate, ctx);
    case 'soak':
      return evaluateSoak(gate, ctx);
    case 'check':
      return evaluateCheck(gate, ctx);
    case 'window':
      return evaluateWindow(gate, ctx);
  }
}
