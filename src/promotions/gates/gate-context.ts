import type { Dispatcher } from 'undici';
import type { RegistryClient } from '../../oci/index.js';
import type { PromotionDecisionEntity } from '../promotion.entity.js';
import type { GateRecord } from './gate-types.js';

/** What a gate may look at when it decides about one promotion. */
export interface GateContext {
  promotionId: string | null;
  pipeline: string;
  stage: string;
  /** The stage the digest comes from (the previous one, or the nearest holding it when forced). */
  sourceStage: string;
  repository: string;
  digest: string;
  tag: string | null;
  requestedByTokenId: string | null;
  requestedAt: Date;
  /** The source stage's registry, its name and the repository there. */
  source: RegistryClient;
  sourceRegistry: string;
  sourceRepository: string;
  decisions: readonly PromotionDecisionEntity[];
  /** Since when the digest is known to be in the source stage, and how regrelay knows. */
  arrival: { at: Date; how: string } | undefined;
  now: Date;
  dryRun: boolean;
  /** This gate's record from the previous evaluation, if any. */
  previous: GateRecord | undefined;
  signal: AbortSignal;
  /** Connections of the external check, through the outbound address policy. */
  checkDispatcher?: Dispatcher;
}
