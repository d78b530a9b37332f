import type { Role } from '../../auth/api-token.entity.js';

/** The gates a stage may have; each is checked before a promotion into the stage copies. */
export const GATE_TYPES = ['approval', 'signature', 'referrer', 'soak', 'check', 'window'] as const;
export type GateType = (typeof GATE_TYPES)[number];

export interface ApprovalGate {
  type: 'approval';
  /** Distinct approvers needed, never the requester. */
  required: number;
  /** Roles an approver must hold (default: operator or admin). */
  roles?: Role[];
  /** Refused when not approved within this long of the request. */
  expiresAfterSeconds?: number;
}

export interface SignatureGate {
  type: 'signature';
  /** PEM of the ECDSA P-256 public key (cosign.pub). */
  publicKey: string;
  /** Artifact type of signature referrers (default cosign's). */
  artifactType?: string;
}

export interface ReferrerGate {
  type: 'referrer';
  /** e.g. `application/spdx+json`: such a referrer must be attached. */
  artifactType: string;
}

export interface SoakGate {
  type: 'soak';
  /** How long the digest must have been in the previous stage. */
  seconds: number;
}

export interface CheckGate {
  type: 'check';
  /** regrelay POSTs {pipeline, stage, repository, digest, tag, promotionId} here. */
  url: string;
  /** Answers other than 2xx and 4xx are retried until this long after the first call. */
  timeoutSeconds: number;
}

export interface WindowGate {
  type: 'window';
  /** When a window opens (5 or 6 fields). */
  cron: string;
  /** How long each window stays open. */
  durationMinutes: number;
  /** IANA time zone of the cron expression (default UTC). */
  timeZone?: string;
}

export type Gate = ApprovalGate | SignatureGate | ReferrerGate | SoakGate | CheckGate | WindowGate;

/** `skipped`: never decided, because the promotion was refused before it was (it has ended). */
export type GateStatus = 'pending' | 'passed' | 'refused' | 'skipped';

/** A gate as a promotion recorded it: its settings, where it stands, why, and the evidence. */
export interface GateRecord {
  type: GateType;
  config: Gate;
  status: GateStatus;
  /** In words: why it passed, waits or refused. */
  reason: string;
  evidence: Record<string, unknown>;
  evaluatedAt: string | null;
  /** When a pending gate is looked at again (null: when something happens, e.g. an approval). */
  nextCheckAt: string | null;
}

/** What one evaluation of a gate concluded. */
export interface GateOutcome {
  status: GateStatus;
  reason: string;
  evidence?: Record<string, unknown>;
  /** For pending gates: when to look again (undefined: on the next event only). */
  recheckAt?: Date;
}

export function pendingRecord(gate: Gate): GateRecord {
  return {
    type: gate.type,
    config: gate,
    status: 'pending',
    reason: 'not evaluated yet',
    evidence: {},
    evaluatedAt: null,
    nextCheckAt: null,
  };
}
