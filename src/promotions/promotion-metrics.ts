import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { MetricsService } from '../observability/metrics.service.js';
import { PipelineEntity } from './pipeline.entity.js';
import type { PromotionEntity } from './promotion.entity.js';

type WaitingSource = () => Promise<{ pipeline: string; stage: string; gate: string; n: string }[]>;

/**
 * Promotion metrics, labelled by pipeline and stage names (bounded by configuration),
 * never by repository or digest. The waiting gauge is read from the database at
 * scrape time, so every replica reports the same.
 */
@Injectable()
export class PromotionMetrics {
  private readonly total;
  private readonly duration;
  private waitingSource?: WaitingSource;

  constructor(
    metrics: MetricsService,
    @InjectRepository(PipelineEntity) private readonly pipelines: Repository<PipelineEntity>,
  ) {
    this.total = metrics.counter({
      name: 'regrelay_promotions_total',
      help: 'Promotions ended, by pipeline, stage and result (succeeded, failed, refused).',
      labelNames: ['pipeline', 'stage', 'result'],
    });
    this.duration = metrics.histogram({
      name: 'regrelay_promotion_duration_seconds',
      help: 'From a promotion request to its end (gates, turn and copy), by pipeline and stage.',
      labelNames: ['pipeline', 'stage'],
      buckets: [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86_400, 7 * 86_400],
    });
    const waiting = () => this.waitingSource?.();
    metrics.gauge({
      name: 'regrelay_promotions_waiting',
      help: 'Open promotions by pipeline, stage and what they wait for: a gate type, or "turn" (gates passed, another promotion copies into the stage).',
      labelNames: ['pipeline', 'stage', 'gate'],
      async collect() {
        const rows = await waiting()?.catch(() => undefined);
        if (!rows) return;
        this.reset();
        for (const r of rows)
          this.set({ pipeline: r.pipeline, stage: r.stage, gate: r.gate }, Number(r.n));
      },
    });
  }

  measureWaiting(source: WaitingSource): void {
    this.waitingSource = source;
  }

  async ended(p: PromotionEntity, result: string, seconds: number): Promise<void> {
    const pipeline =
      (await this.pipelines.findOne({ where: { id: p.pipelineId } }))?.name ?? p.pipelineId;
    this.total.inc({ pipeline, stage: p.stageName, result });
    this.duration.observe({ pipeline, stage: p.stageName }, Math.max(0, seconds));
  }
}
