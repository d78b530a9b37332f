import { Injectable } from '@nestjs/common';
import { RegistriesService } from '../registries/registries.service.js';
import type { PromotionPageDto } from './dto/promotion.dto.js';
import type {
  HistoryQuery,
  PipelineStateDto,
  RepositoryStateDto,
  StateQuery,
} from './dto/state.dto.js';
import { orderedStages } from './pipeline.entity.js';
import { PipelinesService } from './pipelines.service.js';
import { PromotionStore } from './promotion-store.js';
import { PromotionViews } from './promotion-views.js';
import { StageStateStore } from './stage-state-store.js';

/** A pipeline's history (every promotion, without limit) and where its digests stand. */
@Injectable()
export class PipelineState {
  constructor(
    private readonly pipelines: PipelinesService,
    private readonly registries: RegistriesService,
    private readonly store: PromotionStore,
    private readonly views: PromotionViews,
    private readonly stateStore: StageStateStore,
  ) {}

  async history(pipelineId: string, query: HistoryQuery): Promise<PromotionPageDto> {
    await this.pipelines.get(pipelineId);
    const page = await this.store.history({ pipelineId, ...query });
    return {
      items: await this.views.many(page.items),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
    };
  }

  /**
   * Per stage and repository: tags, the digests known there, holds. Paged by
   * repository and capped per cell when asked (`limit`, `tags`, `digests`).
   */
  async state(pipelineId: string, query: StateQuery = {}): Promise<PipelineStateDto> {
    const pipeline = await this.pipelines.get(pipelineId);
    const stages = orderedStages(pipeline);
    const ids = stages.map((s) => s.id);
    const page = await this.stateStore.repositories({
      pipelineId: pipeline.id,
      stageIds: ids,
      ...query,
    });
    const [tags, arrivals, holds, registries] = await Promise.all([
      this.stateStore.currentTags(pipeline.id, page.names, query.tags),
      this.stateStore.arrivals(ids, page.names, query.digests),
      this.stateStore.holds(ids, page.names),
      this.registries.getMany(stages.map((s) => s.registryId)),
    ]);
    return {
      pipelineId: pipeline.id,
      pipeline: pipeline.name,
      repositoryCount: page.total,
      limit: query.limit ?? null,
      offset: query.offset ?? 0,
      stages: stages.map((stage) => {
        const repos = new Map<string, RepositoryStateDto>();
        const of = (name: string) => {
          let r = repos.get(name);
          if (!r)
            repos.set(
              name,
              (r = {
                repository: name,
                tags: [],
                tagCount: 0,
                digests: [],
                digestCount: 0,
                hold: null,
              }),
            );
          return r;
        };
        for (const t of tags.filter((t) => t.stage_id === stage.id)) {
          const r = of(t.repository);
          r.tags.push({
            tag: t.tag,
            digest: t.digest,
            promotionId: t.promotion_id,
            promotedAt: t.ended_at.toISOString(),
          });
          r.tagCount = t.total;
        }
        for (const a of arrivals.filter((a) => a.stage_id === stage.id)) {
          const r = of(a.repository);
          r.digests.push({ digest: a.digest, since: a.arrived_at.toISOString(), how: a.how });
          r.digestCount = a.total;
        }
        for (const h of holds.filter((h) => h.stageId === stage.id))
          of(h.repository).hold = {
            promotionId: h.promotionId,
            heldBy: h.heldBy,
            heldAt: h.heldAt.toISOString(),
          };
        return {
          stage: stage.name,
          registry: registries.get(stage.registryId)?.name ?? null,
          repositoryTemplate: stage.repository,
          // In the page's order (by name).
          repositories: page.names.flatMap((name) => repos.get(name) ?? []),
        };
      }),
    };
  }
}
