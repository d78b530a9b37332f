import { Injectable } from '@nestjs/common';
import { NameFilter } from '../policies/name-filter.js';
import type { LeafArrival } from '../promotions/promotion.entity.js';
import { StageLeaves } from '../promotions/stage-leaves.js';
import { LedgerService } from '../replication/ledger/ledger.service.js';
import { shapeOf, TopologiesService } from './topologies.service.js';
import type { TopologyEntity } from './topology.entity.js';

/**
 * A promotion stage whose registry is the root of a tree: the promotion lists the
 * tree's leaves (where the root's repository lands at each) and records when the
 * digest arrived at each one, as the tree delivers it.
 */
@Injectable()
export class PromotionLeaves {
  constructor(
    private readonly leaves: StageLeaves,
    private readonly topologies: TopologiesService,
    private readonly ledger: LedgerService,
  ) {
    leaves.register(async (registryId, repository, digest, tag) => {
      const found: LeafArrival[] = [];
      for (const t of await this.rootedAt(registryId, repository)) {
        for (const leaf of leavesOf(t, repository)) {
          // Already delivered (the tree can be quicker than the promotion's end)?
          const written = tag
            ? await this.ledger.lookup(leaf.registryId, leaf.repository, tag)
            : undefined;
          const arrived = written?.digest === digest && written.owner.id === t.id;
          found.push({ ...leaf, arrivedAt: arrived ? written.writtenAt.toISOString() : null });
        }
      }
      return found;
    });
  }

  /** A tree delivered `digest` at `leaf`'s `repository` (called for leaves only). */
  async arrived(
    t: TopologyEntity,
    leafRegistryId: string,
    repositoryAtLeaf: string,
    digest: string,
  ): Promise<void> {
    const shape = shapeOf(t);
    const rootRepository = shape.rootRepository(leafRegistryId, repositoryAtLeaf);
    if (rootRepository === undefined) return;
    await this.leaves.arrived(
      shape.root.registryId,
      rootRepository,
      digest,
      { registryId: leafRegistryId, repository: repositoryAtLeaf },
      new Date(),
    );
  }

  private async rootedAt(registryId: string, repository: string): Promise<TopologyEntity[]> {
    return (await this.topologies.withRegistry(registryId)).filter(
      (t) =>
        t.kind === 'tree' &&
        shapeOf(t).root.registryId === registryId &&
        NameFilter.compile(t.repositories, t.excludeRepositories).matches(repository),
    );
  }
}

function leavesOf(t: TopologyEntity, repository: string) {
  const shape = shapeOf(t);
  return shape
    .belowRoot()
    .filter((n) => shape.children(n.registryId).length === 0)
    .map((n) => ({
      registryId: n.registryId,
      repository: shape.repositoryAt(n.registryId, repository),
    }));
}
