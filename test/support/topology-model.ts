/**
 * The model of the convergence fuzz: what every registry of a 1 → 2 → 4 tree and of
 * two dual-master pairs should hold once regrelay has settled, given what people did
 * to the writable registries. Pure: no I/O, no time. Contents are names (`k12`); the
 * driver maps them to the digests it pushed.
 *
 * Registries are CNCF distribution 2.8.2: a tag is deleted by deleting the manifest
 * by digest, which removes every tag of the repository pointing at it.
 */

export const TREE_NODES = ['hq', 'east', 'west', 'east-1', 'east-2', 'west-1', 'west-2'] as const;
export type TreeNodeName = (typeof TREE_NODES)[number];
export const TREE_PARENT: Record<TreeNodeName, TreeNodeName | null> = {
  hq: null,
  east: 'hq',
  west: 'hq',
  'east-1': 'east',
  'east-2': 'east',
  'west-1': 'west',
  'west-2': 'west',
};
/** Where the root's repositories live at a node (relative to the root's names). */
export const TREE_NAMESPACE: Partial<Record<TreeNodeName, string>> = {
  west: 'mirror',
  'west-1': 'mirror',
  'west-2': 'edge',
};
/** The tree's filter leaves these tags at the root only. */
export const EXCLUDED_TAG_PREFIX = 'tmp-';

export type Side = 'a' | 'b';
export type PairName = 'dc' | 'held';
export type PairRule = 'prefer-first' | 'prefer-second' | 'hold';
export const PAIRS: Record<PairName, { rule: PairRule; sides: Record<Side, string> }> = {
  dc: { rule: 'prefer-first', sides: { a: 'dc-a', b: 'dc-b' } },
  held: { rule: 'hold', sides: { a: 'hold-a', b: 'hold-b' } },
};
export const PAIR_NAMES = Object.keys(PAIRS) as PairName[];
export const PAIR_NODES = PAIR_NAMES.flatMap((p) => [PAIRS[p].sides.a, PAIRS[p].sides.b]);
export const ALL_NODES: readonly string[] = [...TREE_NODES, ...PAIR_NODES];
export const REPOSITORIES = ['app', 'team/svc'] as const;

/** What an op acts on: the tree (at its root) or a pair. */
export type Target = 'tree' | PairName;
/** Where an op writes: the tree's root, or a side of a pair. */
export type Place = 'root' | Side;
export type Content = string;

export type Op =
  /** A push of `content` at `tag` (a new tag, new content, a retag or old content again). */
  | {
      kind: 'push';
      /** A retag: the tag whose manifest is pushed again (read at the start of the step). */
      retagOf?: string;
      target: Target;
      place: Place;
      repository: string;
      tag: string;
      content: Content;
      note: string;
    }
  /** Deletes the manifest `tag` points at (every tag sharing it goes). */
  | { kind: 'delete'; target: Target; place: Place; repository: string; tag: string }
  /** Both sides of a pair push `tag` at once, before either webhook is processed. */
  | { kind: 'both-push'; target: PairName; repository: string; tag: string; a: Content; b: Content }
  /** At once: `deleteOn` deletes the manifest of `tag`, the other side pushes new content there. */
  | {
      kind: 'delete-and-push';
      target: PairName;
      repository: string;
      tag: string;
      deleteOn: Side;
      content: Content;
    }
  /** A person settles the held conflict of `tag`: `winner`'s content goes to both sides. */
  | { kind: 'resolve'; target: PairName; repository: string; tag: string; winner: Side };

export type Resolution = 'prefer-first' | 'prefer-second' | 'held' | 'manual' | 'change-kept';

export interface ExpectedConflict {
  repository: string;
  tag: string;
  digests: Record<Side, Content | null>;
  resolution: Resolution;
  resolved: Content | null;
}

/** One registry's tags, per repository. */
export class Catalog {
  private readonly repos = new Map<string, Map<string, Content>>();

  get(repository: string, tag: string): Content | undefined {
    return this.repos.get(repository)?.get(tag);
  }

  set(repository: string, tag: string, content: Content): void {
    let tags = this.repos.get(repository);
    if (!tags) this.repos.set(repository, (tags = new Map()));
    tags.set(tag, content);
  }

  remove(repository: string, tag: string): void {
    this.repos.get(repository)?.delete(tag);
  }

  /** tag → content of a repository, tags in order. */
  tags(repository: string): Map<string, Content> {
    return new Map([...(this.repos.get(repository) ?? [])].sort(([x], [y]) => x.localeCompare(y)));
  }

  /** The tags a digest delete of `content` removes. */
  sharing(repository: string, content: Content): string[] {
    return [...this.tags(repository)].filter(([, c]) => c === content).map(([t]) => t);
  }

  /** Deletes the manifest `tag` points at; returns the tags that went. */
  deleteManifestOf(repository: string, tag: string): string[] {
    const content = this.get(repository, tag);
    if (content === undefined) throw new Error(`model: ${repository}:${tag} is absent`);
    const gone = this.sharing(repository, content);
    for (const t of gone) this.remove(repository, t);
    return gone;
  }

  contents(): Set<Content> {
    return new Set([...this.repos.values()].flatMap((tags) => [...tags.values()]));
  }
}

export class PairModel {
  readonly sides: Record<Side, Catalog> = { a: new Catalog(), b: new Catalog() };
  readonly conflicts: ExpectedConflict[] = [];

  constructor(readonly rule: PairRule) {}

  /** A held conflict of the tag, if any (the generator leaves such tags alone). */
  held(repository: string, tag: string): ExpectedConflict | undefined {
    return this.conflicts.find(
      (c) => c.repository === repository && c.tag === tag && c.resolution === 'held',
    );
  }
}

/** Everything the fuzz expects, changed op by op. */
export class World {
  readonly root = new Catalog();
  readonly pairs: Record<PairName, PairModel> = {
    dc: new PairModel(PAIRS.dc.rule),
    held: new PairModel(PAIRS.held.rule),
  };

  /** The catalog an op reads and writes first. */
  catalogOf(target: Target, place: Place): Catalog {
    if (target === 'tree') return this.root;
    if (place === 'root') throw new Error(`model: a pair has no root`);
    return this.pairs[target].sides[place];
  }

  apply(op: Op): void {
    if (op.target === 'tree') return this.applyTree(op);
    const pair = this.pairs[op.target];
    const { a, b } = pair.sides;
    switch (op.kind) {
      case 'push':
        // One side changed (or created) the tag: it is copied to the other.
        a.set(op.repository, op.tag, op.content);
        b.set(op.repository, op.tag, op.content);
        return;
      case 'delete': {
        // Deleted on one side, unchanged on the other: deleted there too (a tombstone).
        const gone = pair.sides[op.place as Side].deleteManifestOf(op.repository, op.tag);
        for (const tag of gone) other(pair, op.place as Side).remove(op.repository, tag);
        return;
      }
      case 'both-push':
        return bothPushed(pair, op);
      case 'delete-and-push': {
        const pushedOn: Side = op.deleteOn === 'a' ? 'b' : 'a';
        const gone = pair.sides[op.deleteOn].deleteManifestOf(op.repository, op.tag);
        // The other tags of the deleted manifest were unchanged on the pushing side: deleted.
        for (const tag of gone) pair.sides[pushedOn].remove(op.repository, tag);
        // The change wins over the deletion, and is reported.
        a.set(op.repository, op.tag, op.content);
        b.set(op.repository, op.tag, op.content);
        pair.conflicts.push({
          repository: op.repository,
          tag: op.tag,
          digests: { [op.deleteOn]: null, [pushedOn]: op.content } as Record<Side, Content | null>,
          resolution: 'change-kept',
          resolved: op.content,
        });
        return;
      }
      case 'resolve': {
        const conflict = pair.held(op.repository, op.tag);
        if (!conflict) throw new Error(`model: no held conflict at ${op.repository}:${op.tag}`);
        const content = conflict.digests[op.winner]!;
        a.set(op.repository, op.tag, content);
        b.set(op.repository, op.tag, content);
        conflict.resolution = 'manual';
        conflict.resolved = content;
        return;
      }
    }
  }

  private applyTree(op: Op): void {
    if (op.kind === 'push') this.root.set(op.repository, op.tag, op.content);
    else if (op.kind === 'delete') this.root.deleteManifestOf(op.repository, op.tag);
    else throw new Error(`model: ${op.kind} is not an op of a tree`);
  }

  /** repository (as named at the node) → tag → content, for every node. */
  expected(): Map<string, Map<string, Map<string, Content>>> {
    const out = new Map<string, Map<string, Map<string, Content>>>();
    for (const node of TREE_NODES) {
      const repos = new Map<string, Map<string, Content>>();
      for (const repository of REPOSITORIES) {
        const tags = this.root.tags(repository);
        if (node !== 'hq')
          for (const tag of tags.keys()) if (tag.startsWith(EXCLUDED_TAG_PREFIX)) tags.delete(tag);
        repos.set(repositoryAt(node, repository), tags);
      }
      out.set(node, repos);
    }
    for (const name of PAIR_NAMES) {
      for (const side of ['a', 'b'] as const) {
        const catalog = this.pairs[name].sides[side];
        out.set(PAIRS[name].sides[side], new Map(REPOSITORIES.map((r) => [r, catalog.tags(r)])));
      }
    }
    return out;
  }
}

/** A repository of the root as it is named at a tree node. */
export function repositoryAt(node: string, repository: string): string {
  const ns = TREE_NAMESPACE[node as TreeNodeName];
  return ns ? `${ns}/${repository}` : repository;
}

function other(pair: PairModel, side: Side): Catalog {
  return pair.sides[side === 'a' ? 'b' : 'a'];
}

/** The same tag pushed on both sides at once: the same content, or a conflict. */
function bothPushed(pair: PairModel, op: Extract<Op, { kind: 'both-push' }>): void {
  const { a, b } = pair.sides;
  a.set(op.repository, op.tag, op.a);
  b.set(op.repository, op.tag, op.b);
  if (op.a === op.b) return; // both changed the same way: the new base, nothing to copy
  const digests = { a: op.a, b: op.b };
  if (pair.rule === 'hold') {
    pair.conflicts.push({
      repository: op.repository,
      tag: op.tag,
      digests,
      resolution: 'held',
      resolved: null,
    });
    return;
  }
  const winner = pair.rule === 'prefer-first' ? op.a : op.b;
  a.set(op.repository, op.tag, winner);
  b.set(op.repository, op.tag, winner);
  pair.conflicts.push({
    repository: op.repository,
    tag: op.tag,
    digests,
    resolution: pair.rule,
    resolved: winner,
  });
}

/**
 * The (target, repository, tag) keys an op touches, seen at the start of its step:
 * a digest delete touches every tag sharing the manifest, a retag its source tag.
 * Ops of one step touch disjoint keys, so their outcome does not depend on the order
 * regrelay happens to see them in.
 */
export function keysOf(world: World, op: Op): string[] {
  const key = (tag: string) => `${op.target}:${op.repository}:${tag}`;
  const keys = [key(op.tag)];
  if (op.kind === 'push' && op.retagOf) keys.push(key(op.retagOf));
  if (op.kind === 'delete' || op.kind === 'delete-and-push') {
    const place: Place = op.kind === 'delete' ? op.place : op.deleteOn;
    const catalog = world.catalogOf(op.target, place);
    keys.push(...catalog.sharing(op.repository, catalog.get(op.repository, op.tag)!).map(key));
  }
  return [...new Set(keys)];
}

/** One line per op, for the run's log and a failing seed's report. */
export function describeOp(op: Op): string {
  const at = `${op.repository}:${op.tag}`;
  switch (op.kind) {
    case 'push':
      return `${op.target}/${op.place}: push ${at} = ${op.content} (${op.note})`;
    case 'delete':
      return `${op.target}/${op.place}: delete the manifest of ${at}`;
    case 'both-push':
      return `${op.target}: at once, a pushes ${at} = ${op.a} and b pushes ${at} = ${op.b}`;
    case 'delete-and-push':
      return `${op.target}: at once, ${op.deleteOn} deletes the manifest of ${at} and ${op.deleteOn === 'a' ? 'b' : 'a'} pushes ${at} = ${op.content}`;
    case 'resolve':
      return `${op.target}: a person resolves the conflict of ${at} for side ${op.winner}`;
  }
}
