import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';
import { AppConfig } from '../config/app-config.js';
import { AddressPolicy, guardedConnector } from '../oci/index.js';
import { RegistriesService } from '../registries/registries.service.js';
import { RegistryClients } from '../registries/registry-clients.js';
import { Clock } from './clock.js';
import { evaluateGates, type GateVerdict } from './gates/gate-evaluator.js';
import type { PromotionEntity } from './promotion.entity.js';
import { PromotionStore } from './promotion-store.js';

/** What gate evaluation needs of a promotion (a dry run has no id and no row). */
export type GateSubject = Pick<
  PromotionEntity,
  | 'gates'
  | 'stageName'
  | 'sourceStageId'
  | 'sourceStageName'
  | 'repository'
  | 'digest'
  | 'tag'
  | 'requestedByTokenId'
  | 'createdAt'
  | 'sourceRegistryId'
  | 'sourceRepository'
> & { id: string | null };

/** Gathers what a promotion's gates look at (source stage, decisions, arrival, time) and runs them. */
@Injectable()
export class GateRunner implements OnApplicationShutdown {
  /** External checks connect only where registries may: REGRELAY_DENY/ALLOW_NETWORKS. */
  private readonly checkDispatcher: Agent;

  constructor(
    private readonly store: PromotionStore,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    const policy = new AddressPolicy(config.denyNetworks, config.allowNetworks);
    this.checkDispatcher = new Agent({ connect: guardedConnector(policy, 'promotion check', {}) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.checkDispatcher.close();
  }

  async run(
    p: GateSubject,
    pipeline: string,
    options: { dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<GateVerdict> {
    const registry = await this.registries.get(p.sourceRegistryId);
    const [decisions, arrival] = await Promise.all([
      p.id ? this.store.decisionsOf([p.id]) : Promise.resolve([]),
      p.sourceStageId
        ? this.store.arrival(p.sourceStageId, p.repository, p.digest)
        : Promise.resolve(undefined),
    ]);
    return evaluateGates(p.gates, {
      promotionId: p.id,
      pipeline,
      stage: p.stageName,
      sourceStage: p.sourceStageName,
      repository: p.repository,
      digest: p.digest,
      tag: p.tag,
      requestedByTokenId: p.requestedByTokenId,
      requestedAt: p.createdAt,
      source: this.clients.forRegistry(registry),
      sourceRegistry: registry.name,
      sourceRepository: p.sourceRepository,
      decisions,
      arrival,
      now: this.clock.now(),
      dryRun: options.dryRun ?? false,
      signal: options.signal ?? AbortSignal.timeout(120_000),
      checkDispatcher: this.checkDispatcher,
    });
  }
}
