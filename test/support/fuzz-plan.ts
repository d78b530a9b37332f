import type { LayerSpec } from './image-builder.js';
import { Prng } from './prng.js';
import {
  ALL_NODES,
  EXCLUDED_TAG_PREFIX,
  keysOf,
  PAIR_NAMES,
  PAIR_NODES,
  PAIRS,
  REPOSITORIES,
  TREE_NODES,
  World,
  type Content,
  type Op,
  type PairName,
  type Side,
  type Target,
} from './topology-model.js';

/** What goes wrong during a step. */
export type Fault =
  /** A registry stopped and started again on the same port and storage. */
  | {
      kind: 'stop-registry';
      node: string;
      /** Before the step's ops (none writes to it), or after their webhooks were taken. */
      when: 'before-ops' | 'after-ops';
      afterMs: number;
      downMs: number;
    }
  /** regrelay SIGKILLed `afterMs` after the ops, started again `downMs` later. */
  | { kind: 'kill-regrelay'; afterMs: number; downMs: number }
  /** A pair side's webhooks of regrelay's own writes lost (people's changes still reported). */
  | { kind: 'lose-echoes'; node: string }
  /** One request to a registry cut (or refused) by its fault proxy. */
  | {
      kind: 'drop-connection';
      node: string;
      request: 'blob-get' | 'blob-upload' | 'manifest-get' | 'manifest-put' | 'unavailable';
      afterBytes: number;
      /** Matching requests let through first. */
      skip: number;
    };

export interface Step {
  index: number;
  ops: Op[];
  fault?: Fault;
}

/** A seed's whole run, decided before anything starts: the same seed, the same run. */
export interface FuzzPlan {
  seed: number;
  /** Pushed before the topologies exist: their creation's backfill handles it. */
  initial: Op[];
  steps: Step[];
  /** The image behind each content name. */
  contents: Map<Content, { layers: LayerSpec[] }>;
}

const TAGS = ['v1', 'v2', 'v3', 'latest', 'dev'];
const SIDES = ['a', 'b'] as const;
const FAULT_KINDS = ['stop-registry', 'kill-regrelay', 'drop-connection', 'lose-echoes'] as const;
const MAX_OPS_PER_STEP = 4;

/** Builds the plan of a seed: `steps` steps over the model, faults of every kind included. */
export function planRun(seed: number, steps: number): FuzzPlan {
  return new Planner(seed).plan(steps);
}

/** The model after the initial pushes and the first `stepCount` steps of a plan. */
export function worldAfter(plan: FuzzPlan, stepCount: number): World {
  const world = new World();
  for (const op of plan.initial) world.apply(op);
  for (const step of plan.steps.slice(0, stepCount)) for (const op of step.ops) world.apply(op);
  return world;
}

class Planner {
  private readonly rng: Prng;
  private readonly world = new World();
  private readonly contents = new Map<Content, { layers: LayerSpec[] }>();
  /** Contents ever pushed, per target and repository (for pushes of old content). */
  private readonly seen = new Map<string, Set<Content>>();

  constructor(private readonly seed: number) {
    this.rng = new Prng(seed);
  }

  plan(stepCount: number): FuzzPlan {
    const initial = this.initialOps();
    for (const op of initial) this.world.apply(op);
    // Every kind of fault at least once (when the run is long enough), in a seeded order.
    const forced = new Map<number, (typeof FAULT_KINDS)[number]>();
    const kinds = this.rng.shuffle(FAULT_KINDS);
    kinds.forEach((kind, i) => {
      const at = 1 + i * 2;
      if (at < stepCount) forced.set(at, kind);
    });
    const steps: Step[] = [];
    for (let index = 0; index < stepCount; index++) {
      const kind =
        forced.get(index) ?? (this.rng.chance(0.35) ? this.rng.pick(FAULT_KINDS) : undefined);
      steps.push(this.step(index, kind));
      for (const op of steps.at(-1)!.ops) this.world.apply(op);
    }
    return { seed: this.seed, initial, steps, contents: this.contents };
  }

  private initialOps(): Op[] {
    const ops: Op[] = [];
    const used = new Set<string>();
    const free = (target: Target, repository: string) =>
      this.rng.shuffle(TAGS).find((tag) => !used.has(`${target}:${repository}:${tag}`));
    const take = (op: Op) => {
      used.add(`${op.target}:${op.repository}:${op.tag}`);
      this.remember(op);
      ops.push(op);
    };
    for (let i = this.rng.int(1, 3); i > 0; i--) {
      const repository = this.rng.pick(REPOSITORIES);
      const tag = free('tree', repository);
      if (tag)
        take({
          kind: 'push',
          target: 'tree',
          place: 'root',
          repository,
          tag,
          content: this.newContent(),
          note: 'before the tree existed',
        });
    }
    for (const pair of PAIR_NAMES) {
      for (const side of ['a', 'b'] as const) {
        for (let i = this.rng.int(1, 2); i > 0; i--) {
          const repository = this.rng.pick(REPOSITORIES);
          const tag = free(pair, repository);
          if (tag)
            take({
              kind: 'push',
              target: pair,
              place: side,
              repository,
              tag,
              content: this.newContent(),
              note: 'before the pair existed',
            });
        }
      }
      // The same tag on both sides before the pair existed: alike, or a conflict at the backfill.
      const repository = this.rng.pick(REPOSITORIES);
      const tag = free(pair, repository);
      if (tag) {
        const a = this.newContent();
        take({
          kind: 'both-push',
          target: pair,
          repository,
          tag,
          a,
          b: this.rng.chance(0.5) ? a : this.newContent(),
        });
      }
    }
    return ops;
  }

  /** Pairs still to see the same tag pushed differently on both sides (one per step, early on). */
  private readonly conflictsDue: PairName[] = ['dc', 'held'];

  private step(index: number, faultKind: Fault['kind'] | undefined): Step {
    let fault: Fault | undefined;
    if (faultKind === 'stop-registry') {
      const long = this.rng.chance(0.2);
      fault = {
        kind: 'stop-registry',
        node: this.rng.pick(ALL_NODES),
        when: this.rng.chance(0.5) ? 'before-ops' : 'after-ops',
        afterMs: this.rng.int(0, 800),
        // A long outage outlasts the task's retries: the delivery waits (tree) or the sync repairs (pair).
        downMs: long ? this.rng.int(20_000, 25_000) : this.rng.int(300, 4000),
      };
    } else if (faultKind === 'kill-regrelay') {
      // Most of a step's work runs in the second after its webhooks (window 300 ms).
      fault = {
        kind: 'kill-regrelay',
        afterMs: this.rng.int(100, 1500),
        downMs: this.rng.int(0, 1500),
      };
    }
    const down =
      fault?.kind === 'stop-registry' && fault.when === 'before-ops' ? fault.node : undefined;
    const ops: Op[] = [];
    const used = new Set<string>();
    const accept = (op: Op | undefined): boolean => {
      if (!op || (down && writesTo(op).includes(down))) return false;
      const keys = keysOf(this.world, op);
      if (keys.some((k) => used.has(k) || this.isHeld(k))) return false;
      for (const k of keys) used.add(k);
      this.remember(op);
      ops.push(op);
      return true;
    };
    const due = this.conflictsDue[0];
    for (let attempt = 0; due && attempt < 5; attempt++) {
      if (accept(this.bothPush(due, true))) {
        this.conflictsDue.shift();
        break;
      }
    }
    const wanted = this.rng.int(1, MAX_OPS_PER_STEP);
    for (let attempt = 0; attempt < 20 && ops.length < wanted; attempt++) {
      const target = this.rng.weighted<Target>({ tree: 4, dc: 3, held: 3 });
      accept(this.propose(target));
    }
    if (faultKind === 'lose-echoes') {
      const involved = PAIR_NODES.filter((n) => ops.some((op) => nodesOf(op.target).includes(n)));
      fault = { kind: 'lose-echoes', node: this.rng.pick(involved.length ? involved : PAIR_NODES) };
    }
    if (faultKind === 'drop-connection') {
      const involved = [...new Set(ops.flatMap((op) => nodesOf(op.target)))];
      fault = {
        kind: 'drop-connection',
        node: this.rng.pick(involved.length ? involved : ALL_NODES),
        request: this.rng.pick([
          'blob-get',
          'blob-upload',
          'manifest-get',
          'manifest-put',
          'unavailable',
        ] as const),
        afterBytes: this.rng.int(0, 3000),
        skip: this.rng.int(0, 3),
      };
    }
    return { index, ops, ...(fault ? { fault } : {}) };
  }

  private propose(target: Target): Op | undefined {
    if (target !== 'tree') {
      const pair = this.world.pairs[target];
      const held = pair.conflicts.filter((c) => c.resolution === 'held');
      const kind = this.rng.weighted({
        single: 6,
        both: 1,
        'delete-and-push': 1,
        resolve: held.length ? 3 : 0,
      });
      if (kind === 'both') return this.bothPush(target, this.rng.chance(0.85));
      if (kind === 'resolve') {
        const { repository, tag } = this.rng.pick(held);
        return { kind: 'resolve', target, repository, tag, winner: this.rng.pick(SIDES) };
      }
      if (kind === 'delete-and-push') {
        const deleteOn = this.rng.pick(SIDES);
        const repository = this.rng.pick(REPOSITORIES);
        const present = [...pair.sides[deleteOn].tags(repository).keys()];
        if (!present.length) return undefined;
        const tag = this.rng.pick(present);
        return {
          kind: 'delete-and-push',
          target,
          repository,
          tag,
          deleteOn,
          content: this.newContent(),
        };
      }
    }
    const place = target === 'tree' ? 'root' : this.rng.pick(SIDES);
    const repository = this.rng.pick(REPOSITORIES);
    const tags = this.world.catalogOf(target, place).tags(repository);
    const present = [...tags.keys()];
    const pool = target === 'tree' ? [...TAGS, `${EXCLUDED_TAG_PREFIX}1`] : TAGS;
    const absent = pool.filter((t) => !tags.has(t));
    const old = [...(this.seen.get(`${target}:${repository}`) ?? [])].filter(
      (c) => ![...tags.values()].includes(c),
    );
    const push = (tag: string, content: Content, note: string, retagOf?: string): Op => ({
      kind: 'push',
      target,
      place,
      repository,
      tag,
      content,
      note,
      ...(retagOf ? { retagOf } : {}),
    });
    switch (
      this.rng.weighted({
        new: absent.length ? 3 : 0,
        update: present.length ? 2 : 0,
        retag: present.length ? 2 : 0,
        delete: present.length ? 2 : 0,
        old: old.length && absent.length ? 1 : 0,
      })
    ) {
      case 'new':
        return push(this.rng.pick(absent), this.newContent(), 'new tag');
      case 'update':
        return push(this.rng.pick(present), this.newContent(), 'new content');
      case 'retag': {
        const from = this.rng.pick(present);
        const to = pool.filter((t) => t !== from && tags.get(t) !== tags.get(from));
        return to.length
          ? push(this.rng.pick(to), tags.get(from)!, `retag of ${from}`, from)
          : undefined;
      }
      case 'delete':
        return { kind: 'delete', target, place, repository, tag: this.rng.pick(present) };
      case 'old':
        return push(
          this.rng.pick(absent),
          this.rng.pick(old),
          'content pushed before, deleted since',
        );
    }
  }

  /** Both sides push one tag at once: different content (a conflict) or the same. */
  private bothPush(target: PairName, differently: boolean): Op | undefined {
    const pair = this.world.pairs[target];
    const repository = this.rng.pick(REPOSITORIES);
    const tag = this.rng.pick(TAGS);
    if (pair.held(repository, tag)) return undefined;
    const a = this.newContent();
    return {
      kind: 'both-push',
      target,
      repository,
      tag,
      a,
      b: differently ? this.newContent() : a,
    };
  }

  private isHeld(key: string): boolean {
    const [target, ...rest] = key.split(':');
    if (target === 'tree') return false;
    const tag = rest.pop()!;
    return !!this.world.pairs[target as PairName].held(rest.join(':'), tag);
  }

  private newContent(): Content {
    const name = `k${this.contents.size + 1}`;
    const layers: LayerSpec[] = [];
    // Some images share a base layer: blobs already at a destination are not sent again.
    if (this.rng.chance(0.3)) layers.push({ seed: `fuzz-${this.seed}-base`, size: 4096 });
    layers.push({ seed: `fuzz-${this.seed}-${name}`, size: this.rng.int(1, 8) * 1024 });
    this.contents.set(name, { layers });
    return name;
  }

  private remember(op: Op): void {
    const add = (c: Content) => {
      const key = `${op.target}:${op.repository}`;
      this.seen.set(key, (this.seen.get(key) ?? new Set()).add(c));
    };
    if (op.kind === 'push' || op.kind === 'delete-and-push') add(op.content);
    if (op.kind === 'both-push') [op.a, op.b].forEach(add);
  }
}

/** The registries of a target. */
export function nodesOf(target: Target): string[] {
  return target === 'tree' ? [...TREE_NODES] : [PAIRS[target].sides.a, PAIRS[target].sides.b];
}

/** The registries an op writes to (a stopped registry takes no writes). */
export function writesTo(op: Op): string[] {
  if (op.target === 'tree') return ['hq'];
  const sides = PAIRS[op.target].sides;
  if (op.kind === 'push' || op.kind === 'delete') return [sides[op.place as Side]];
  return [sides.a, sides.b]; // both-push, delete-and-push, resolve (regrelay copies to one)
}
