import { MiB } from '../lib/stats.js';

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
}

export const FULL: Sizes = {
  bulk: { images: 20, layers: 4, layerSize: 16 * MiB },
  small: { repositories: 10, tagsPerRepository: 50, layers: 2, layerSize: 64 * 1024 },
  largeBlobBytes: 1024 * MiB,
  fanOutDestinations: 3,
  planning: { repositories: 10, tagsPerRepository: 1000 },
  promotion: { layers: 4, layerSize: 50 * MiB },
  tree: { pushes: 50, layers: 2, layerSize: 4 * MiB },
};

export const SMOKE: Sizes = {
  bulk: { images: 2, layers: 2, layerSize: 1 * MiB },
  small: { repositories: 2, tagsPerRepository: 5, layers: 2, layerSize: 64 * 1024 },
  largeBlobBytes: 16 * MiB,
  fanOutDestinations: 3,
  planning: { repositories: 2, tagsPerRepository: 50 },
  promotion: { layers: 2, layerSize: 1 * MiB },
  tree: { pushes: 3, layers: 1, layerSize: 64 * 1024 },
};
