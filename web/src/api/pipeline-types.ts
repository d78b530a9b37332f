/** The pipeline and promotion routes' shapes (docs/promotions.md, /docs). */

export interface Gate {
  type: string;
  [setting: string]: unknown;
}

export interface Stage {
  id: string;
  name: string;
  registryId: string;
  registry: string | null;
  repository: string;
  immutableTags: string[];
  gates: Gate[];
  autoPromote: boolean;
}

export interface Pipeline {
  id: string;
  name: string;
  stages: Stage[];
  createdAt: string;
  updatedAt: string;
}

export type PromotionStatus = 'waiting' | 'queued' | 'running' | 'succeeded' | 'refused' | 'failed';
export const OPEN_PROMOTION: PromotionStatus[] = ['waiting', 'queued', 'running'];

/** `skipped`: not decided, the promotion was refused first. */
export type GateStatus = 'pending' | 'passed' | 'refused' | 'skipped';

export interface GateResult {
  type: string;
  status: GateStatus;
  reason: string;
  evidence: Record<string, unknown>;
  config: Gate;
  evaluatedAt: string | null;
  nextCheckAt: string | null;
}

export interface Decision {
  name: string;
  role: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  at: string;
}

export interface Place {
  stage: string;
  registryId: string;
  registry: string | null;
  repository: string;
}

export interface Leaf {
  registryId: string;
  repository: string;
  arrivedAt: string | null;
}

export interface Promotion {
  id: string;
  pipelineId: string;
  pipeline: string;
  kind: 'promote' | 'auto' | 'rollback';
  status: PromotionStatus;
  message: string;
  repository: string;
  digest: string;
  tag: string | null;
  requestedTag: string | null;
  previousDigest: string | null;
  from: Place;
  to: Place;
  gates: GateResult[];
  decisions: Decision[];
  requestedBy: string;
  reason: string | null;
  forced: boolean;
  forceReason: string | null;
  executionId: string | null;
  bytesMoved: number;
  leaves: Leaf[];
  createdAt: string;
  queuedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

export interface DryRun {
  dryRun: true;
  status: 'would-promote' | 'would-wait' | 'refused';
  message: string;
  digest: string;
  tag: string | null;
  from: Place;
  to: Place;
  gates: GateResult[];
  plan: {
    manifests: number;
    blobs: number;
    bytes: number;
    blobsPresent: number;
    referrers: { digest: string; artifactType: string | null }[];
    retag: boolean;
  };
}

export interface TagState {
  tag: string;
  digest: string;
  promotionId: string;
  promotedAt: string;
}

export interface DigestState {
  digest: string;
  since: string;
  how: 'promotion' | 'rollback' | 'event' | 'observed';
}

export interface RepositoryState {
  repository: string;
  /** By name; the ones written last when asked with `tags`. */
  tags: TagState[];
  tagCount?: number;
  /** Oldest first; the newest few when asked with `digests`. */
  digests: DigestState[];
  digestCount?: number;
  hold: { promotionId: string; heldBy: string; heldAt: string } | null;
}

export interface StageState {
  stage: string;
  registry: string | null;
  repositoryTemplate: string;
  repositories: RepositoryState[];
}

export interface PipelineState {
  pipelineId: string;
  pipeline: string;
  stages: StageState[];
  repositoryCount?: number;
  limit?: number | null;
  offset?: number;
}

export function isOpen(p: Pick<Promotion, 'status'>): boolean {
  return OPEN_PROMOTION.includes(p.status);
}
