import { Injectable } from '@nestjs/common';

/** Registry `from` feeds registry `to` without a person in between. */
export interface GraphEdge {
  from: string;
  to: string;
  /** Who makes it: `policy hq-to-regions`, `topology dc-pair`. */
  by: string;
  /** Both edges of a declared dual-master pair carry the pair's key. */
  pair?: string;
}

/** The edges one owner (a policy, a topology) contributes, under its key. */
export interface OwnedEdges {
  owner: string;
  edges: GraphEdge[];
}

export type EdgeSource = () => Promise<OwnedEdges[]>;

/**
 * The graph of every automatic replication between registries (event-triggered
 * policies, trees, dual-master pairs), which must have no cycle but declared pairs:
 * a change reported by one registry must never come back to it (Harbor's push rules
 * loop, goharbor/harbor#17754). Features register what they contribute; a change is
 * checked against everything else as it will be.
 */
@Injectable()
export class ReplicationGraph {
  private readonly sources: EdgeSource[] = [];

  register(source: EdgeSource): void {
    this.sources.push(source);
  }

  /** The cycle `candidate` would close (its edges replacing the owner's current ones), if any. */
  async cycleWith(candidate: OwnedEdges): Promise<GraphEdge[] | undefined> {
    const others = (await Promise.all(this.sources.map((s) => s())))
      .flat()
      .filter((o) => o.owner !== candidate.owner);
    return findCycle([...others.flatMap((o) => o.edges), ...candidate.edges], candidate.edges);
  }
}

/**
 * A cycle through one of `through` (default: any edge), in order; undefined if none.
 * A pair's own two edges (a → b → a) are no cycle; anything longer through them is.
 */
export function findCycle(
  edges: readonly GraphEdge[],
  through: readonly GraphEdge[] = edges,
): GraphEdge[] | undefined {
  const out = new Map<string, GraphEdge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  for (const start of through) {
    // A path back from start.to to start.from, not just the pair's reverse edge.
    const skip = (e: GraphEdge) =>
      start.pair !== undefined &&
      e.pair === start.pair &&
      e.to === start.from &&
      e.from === start.to;
    const path = pathBetween(out, start.to, start.from, skip);
    if (path) return [start, ...path];
  }
  return undefined;
}

/** A shortest path of edges from `from` to `to` (breadth first), ignoring `skip`ped edges. */
function pathBetween(
  out: Map<string, GraphEdge[]>,
  from: string,
  to: string,
  skip: (e: GraphEdge) => boolean,
): GraphEdge[] | undefined {
  const cameBy = new Map<string, GraphEdge | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) {
      const path: GraphEdge[] = [];
      for (let e = cameBy.get(at); e; e = cameBy.get(e.from)) path.unshift(e);
      return path;
    }
    for (const e of out.get(at) ?? []) {
      if (skip(e) || cameBy.has(e.to)) continue;
      cameBy.set(e.to, e);
      queue.push(e.to);
    }
  }
  return undefined;
}

/** `a → b → c → a (policy x, topology y)`, with names for ids where known. */
export function describeCycle(
  cycle: readonly GraphEdge[],
  names: ReadonlyMap<string, string>,
): string {
  const name = (id: string) => names.get(id) ?? id;
  const registries = [cycle[0]!.from, ...cycle.map((e) => e.to)].map(name).join(' → ');
  const by = [...new Set(cycle.map((e) => e.by))].join(', ');
  return `${registries} (${by})`;
}
