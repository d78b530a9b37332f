import { describe, expect, it } from '@jest/globals';
import type { PromotionDecisionEntity } from '../promotion.entity.js';
import { evaluateApproval } from './approval-gate.js';
import type { GateContext } from './gate-context.js';
import { evaluateGates } from './gate-evaluator.js';
import { pendingRecord } from './gate-types.js';
import { windowAt } from './window-gate.js';

const at = (iso: string) => new Date(iso);

function context(over: Partial<GateContext> = {}): GateContext {
  return {
    promotionId: 'p',
    pipeline: 'release',
    stage: 'prod',
    sourceStage: 'staging',
    repository: 'team/app',
    digest: `sha256:${'ab'.repeat(32)}`,
    tag: 'v1',
    requestedByTokenId: 'requester',
    requestedAt: at('2026-12-01T10:00:00Z'),
    source: undefined as never,
    sourceRegistry: 'staging',
    sourceRepository: 'team/app',
    decisions: [],
    arrival: undefined,
    now: at('2026-12-01T10:05:00Z'),
    dryRun: false,
    previous: undefined,
    signal: new AbortController().signal,
    ...over,
  };
}

function decision(tokenId: string, role = 'operator', decision: 'approve' | 'reject' = 'approve') {
  return {
    promotionId: 'p',
    tokenId,
    name: tokenId,
    role,
    decision,
    comment: null,
    decidedAt: at('2026-12-01T10:01:00Z'),
  } as PromotionDecisionEntity;
}

describe('approval gate', () => {
  it('counts distinct approvers other than the requester, in the roles given', () => {
    const gate = { type: 'approval' as const, required: 2, roles: ['admin' as const] };
    const decisions = [
      decision('requester', 'admin'),
      decision('alice', 'admin'),
      decision('bob', 'operator'),
    ];
    expect(evaluateApproval(gate, context({ decisions }))).toMatchObject({
      status: 'pending',
      reason: expect.stringContaining('1 of 2 approvals (alice)'),
    });
    expect(
      evaluateApproval(gate, context({ decisions: [...decisions, decision('carol', 'admin')] })),
    ).toMatchObject({
      status: 'passed',
      reason: 'approved by alice, carol',
    });
  });

  it('refuses on a rejection, and once the approval window has expired', () => {
    const gate = { type: 'approval' as const, required: 1, expiresAfterSeconds: 600 };
    expect(
      evaluateApproval(gate, context({ decisions: [decision('bob', 'operator', 'reject')] }))
        .status,
    ).toBe('refused');
    expect(evaluateApproval(gate, context()).recheckAt).toEqual(at('2026-12-01T10:10:00Z'));
    expect(evaluateApproval(gate, context({ now: at('2026-12-01T10:10:00Z') }))).toMatchObject({
      status: 'refused',
      reason: expect.stringContaining('approval expired'),
    });
  });
});

describe('window gate', () => {
  const gate = { type: 'window' as const, cron: '0 9 * * 1-5', durationMinutes: 120 };

  it('is open from an opening for its duration, and says when the next one opens', () => {
    // 2026-12-01 is a Tuesday.
    expect(windowAt(gate, at('2026-12-01T09:30:00Z'))).toEqual({
      open: true,
      openedAt: at('2026-12-01T09:00:00Z'),
      closesAt: at('2026-12-01T11:00:00Z'),
    });
    expect(windowAt(gate, at('2026-12-01T11:00:01Z'))).toEqual({
      open: false,
      opensAt: at('2026-12-02T09:00:00Z'),
    });
    expect(windowAt(gate, at('2026-12-05T10:00:00Z'))).toEqual({
      open: false,
      opensAt: at('2026-12-07T09:00:00Z'),
    });
  });

  it('reads the cron expression in the time zone given', () => {
    const berlin = { ...gate, timeZone: 'Europe/Berlin' };
    expect(windowAt(berlin, at('2026-12-01T08:30:00Z'))).toMatchObject({
      open: true,
      openedAt: at('2026-12-01T08:00:00Z'),
    });
  });
});

describe('gate evaluation', () => {
  it('calls the external check only once every other gate has passed', async () => {
    const records = [
      pendingRecord({ type: 'approval', required: 1 }),
      pendingRecord({ type: 'check', url: 'http://127.0.0.1:1/never-called', timeoutSeconds: 5 }),
    ];
    const verdict = await evaluateGates(records, context());
    expect(verdict.status).toBe('pending');
    expect(verdict.records[1]).toMatchObject({
      status: 'pending',
      reason: 'called once the other gates have passed',
      evaluatedAt: null,
    });
    expect(verdict.nextEvaluationAt).toBeNull();
  });

  it('keeps a passed gate passed with its evidence, and refuses when any gate refuses', async () => {
    const passed = {
      ...pendingRecord({ type: 'soak', seconds: 60 }),
      status: 'passed' as const,
      reason: 'soaked',
      evidence: { since: 'x' },
    };
    const verdict = await evaluateGates(
      [passed, pendingRecord({ type: 'approval', required: 1 })],
      context({ decisions: [decision('bob', 'operator', 'reject')] }),
    );
    expect(verdict.records[0]).toBe(passed);
    expect(verdict.status).toBe('refused');
  });
});
