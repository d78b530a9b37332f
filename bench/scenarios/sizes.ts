import { MiB } from '../lib/stats.js';
import type { PlanningScaleSize } from './planning-scale.js';
import type { ReplicasSize } from './replicas.js';
import type { ResyncSize } from './resync.js';

/** Data set sizes: the for a full run, tiny ones for the CI smoke run. */
export interface Sizes {
  bulk: { images: number; layers: number; layerSize: number };
  small: { repositories: number; tagsPerRepository: number; layers: number; layerSize: number };
  largeBlobBytes: number;
  fanOutDestinations: number;
  /** Planning: repositories × tags each; measured for the first repository and for all. */
  planning: { repositories: number; tagsPerRepository: number };
  /** Promotion: one image of `layers` × `layerSize` (the 200 MiB). */
  promotion: { layers: number; layerSize: number };
  /** Tree: pushes at the root of a 1 → 2 → 4 tree, one at a time, each image's layers. */
  tree: { pushes: number; layers: number; layerSize: number };
  /**
   * Webhook: pushes (one at a time) to a source with an event-triggered policy; then
   * `pairPushes` on each side of a dual-master pair. Every image `layers` × `layerSize`.
   */
  webhook: { pushes: number; pairPushes: number; layers: number; layerSize: number };
  /** No-op resyncs against skopeo sync (the 300 and 5,000 tags). */
  resync: ResyncSize[];
  /** Planning a no-op of 1k / 10k / 100k tags (opt-in: BENCH_ONLY=planning-scale). */
  planningScale: PlanningScaleSize;
  /** Many small images copied by one regrelay process and by two on one PostgreSQL. */
  replicas: ReplicasSize;
}

export const FULL: Sizes = {
  bulk: { images: 20, layers: 4, layerSize: 16 * MiB },
  small: { repositories: 10, tagsPerRepository: 50, layers: 2, layerSize: 64 * 1024 },
  largeBlobBytes: 1024 * MiB,
  fanOutDestinations: 3,
  planning: { repositories: 10, tagsPerRepository: 1000 },
  promotion: { layers: 4, layerSize: 50 * MiB },
  tree: { pushes: 50, layers: 2, layerSize: 4 * MiB },
  webhook: { pushes: 30, pairPushes: 20, layers: 2, layerSize: 1 * MiB },
  resync: [
    { repositories: 3, tagsPerRepository: 100 },
    { repositories: 5, tagsPerRepository: 1000 },
  ],
  // BENCH_SCALE_CASES=1,10 plans 1k and 10k only (pushing 100k tags takes a while).
  planningScale: {
    tagsPerRepository: 1000,
    cases: process.env.BENCH_SCALE_CASES?.split(',').map(Number) ?? [1, 10, 100],
  },
  replicas: { repositories: 10, tagsPerRepository: 50, layers: 2, layerSize: 64 * 1024 },
};

export const SMOKE: Sizes = {
  bulk: { images: 2, layers: 2, layerSize: 1 * MiB },
  small: { repositories: 2, tagsPerRepository: 5, layers: 2, layerSize: 64 * 1024 },
  largeBlobBytes: 16 * MiB,
  fanOutDestinations: 3,
  planning: { repositories: 2, tagsPerRepository: 50 },
  promotion: { layers: 2, layerSize: 1 * MiB },
  tree: { pushes: 3, layers: 1, layerSize: 64 * 1024 },
  webhook: { pushes: 3, pairPushes: 2, layers: 2, layerSize: 64 * 1024 },
  resync: [{ repositories: 2, tagsPerRepository: 10 }],
  planningScale: { tagsPerRepository: 20, cases: [1, 2, 4] },
  replicas: { repositories: 2, tagsPerRepository: 4, layers: 1, layerSize: 64 * 1024 },
};
