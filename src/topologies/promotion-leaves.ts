import { Injectable, Logger } from '@nestjs/common';
import { InvalidPatternError, NameFilter } from '../policies/name-filter.js';
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
  private readonly logger = new Logger(PromotionLeaves.name);
  /** Topologies already warned about for a filter that does not compile. */
  private readonly warned = new Set<string>();

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

  /**
   * The trees rooted at this registry that take `repository`. A tree whose stored filter
   * no longer compiles (saved before filters moved to RE2) is left out, with a warning:
   * it delivers nothing (its executions fail at planning, its events are skipped), so a
   * promotion waiting for its leaves would wait for ever, and failing here would keep
   * every promotion into this stage from ending.
   */
  private async rootedAt(registryId: string, repository: string): Promise<TopologyEntity[]> {
    return (await this.topologies.withRegistry(registryId)).filter((t) => {
      if (t.kind !== 'tree' || shapeOf(t).root.registryId !== registryId) return false;
      try {
        return NameFilter.compile(t.repositories, t.excludeRepositories).matches(repository);
      } catch (error) {
        if (!(error instanceof InvalidPatternError)) throw error;
        const key = `${t.id}\u0000${error.message}`;
        if (!this.warned.has(key)) {
          this.warned.add(key);
          this.logger.warn(
            { topologyId: t.id, err: error.message },
            `Topology ${t.name} has a repository filter that no longer compiles; promotions into its root do not wait for its leaves until it is fixed`,
          );
        }
        return false;
      }
    });
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
