import { describe, expect, it } from '@jest/globals';
import { planRun, worldAfter } from './fuzz-plan.js';
import { keysOf, World, type Place, type Target } from './topology-model.js';

const tags = (world: World, node: string, repository = 'app') =>
  Object.fromEntries(world.expected().get(node)!.get(repository)!);

/** A world after these pushes (target, place, tag, content), all in repository `app`. */
function pushed(...pushes: [Target, Place, string, string][]): World {
  const w = new World();
  for (const [target, place, tag, content] of pushes)
    w.apply({ kind: 'push', target, place, repository: 'app', tag, content, note: '' });
  return w;
}

describe('the convergence model', () => {
  it('deletes every tag sharing the manifest, as a digest delete on distribution 2.8 does', () => {
    const w = pushed(
      ['tree', 'root', 'v1', 'k1'],
      ['tree', 'root', 'v2', 'k1'],
      ['tree', 'root', 'v3', 'k2'],
    );
    w.apply({ kind: 'delete', target: 'tree', place: 'root', repository: 'app', tag: 'v2' });
    expect(tags(w, 'hq')).toEqual({ v3: 'k2' });
    // Below the root, names carry the node's namespace.
    expect(tags(w, 'west-2', 'edge/app')).toEqual({ v3: 'k2' });
  });

  it('keeps tmp-* tags at the root only', () => {
    const w = pushed(['tree', 'root', 'tmp-1', 'k1']);
    expect(tags(w, 'hq')).toEqual({ 'tmp-1': 'k1' });
    expect(tags(w, 'east-1')).toEqual({});
  });

  it('settles a both-sides push by the rule, or holds it until a person resolves it', () => {
    const w = new World();
    w.apply({ kind: 'both-push', target: 'dc', repository: 'app', tag: 'v1', a: 'k1', b: 'k2' });
    w.apply({ kind: 'both-push', target: 'held', repository: 'app', tag: 'v1', a: 'k3', b: 'k4' });
    expect([tags(w, 'dc-a'), tags(w, 'dc-b')]).toEqual([{ v1: 'k1' }, { v1: 'k1' }]);
    expect(w.pairs.dc.conflicts).toEqual([
      {
        repository: 'app',
        tag: 'v1',
        digests: { a: 'k1', b: 'k2' },
        resolution: 'prefer-first',
        resolved: 'k1',
      },
    ]);
    expect([tags(w, 'hold-a'), tags(w, 'hold-b')]).toEqual([{ v1: 'k3' }, { v1: 'k4' }]);
    expect(w.pairs.held.held('app', 'v1')?.resolution).toBe('held');
    w.apply({ kind: 'resolve', target: 'held', repository: 'app', tag: 'v1', winner: 'b' });
    expect([tags(w, 'hold-a'), tags(w, 'hold-b')]).toEqual([{ v1: 'k4' }, { v1: 'k4' }]);
    expect(w.pairs.held.conflicts[0]).toMatchObject({ resolution: 'manual', resolved: 'k4' });
  });

  it('keeps a change made on one side over a deletion on the other, and reports it', () => {
    const w = pushed(['dc', 'a', 'v1', 'k1'], ['dc', 'b', 'v2', 'k1']);
    w.apply({
      kind: 'delete-and-push',
      target: 'dc',
      repository: 'app',
      tag: 'v1',
      deleteOn: 'a',
      content: 'k2',
    });
    // v2 shared the deleted manifest and was unchanged on b: deleted on both.
    expect([tags(w, 'dc-a'), tags(w, 'dc-b')]).toEqual([{ v1: 'k2' }, { v1: 'k2' }]);
    expect(w.pairs.dc.conflicts).toEqual([
      {
        repository: 'app',
        tag: 'v1',
        digests: { a: null, b: 'k2' },
        resolution: 'change-kept',
        resolved: 'k2',
      },
    ]);
  });

  it('gives a delete the keys of every tag it removes', () => {
    const w = pushed(['dc', 'a', 'v1', 'k1'], ['dc', 'a', 'v2', 'k1']);
    const op = { kind: 'delete', target: 'dc', place: 'b', repository: 'app', tag: 'v1' } as const;
    expect(keysOf(w, op).sort()).toEqual(['dc:app:v1', 'dc:app:v2']);
  });
});

describe('the fuzz plan', () => {
  it('is the same for the same seed and differs between seeds', () => {
    expect(JSON.stringify(planRun(7, 12).steps)).toBe(JSON.stringify(planRun(7, 12).steps));
    expect(JSON.stringify(planRun(7, 12).steps)).not.toBe(JSON.stringify(planRun(8, 12).steps));
  });

  it('has every kind of fault and a conflict on each pair, with disjoint ops in each step', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const plan = planRun(seed, 8);
      const kinds = new Set(plan.steps.flatMap((s) => (s.fault ? [s.fault.kind] : [])));
      expect([...kinds].sort()).toEqual([
        'drop-connection',
        'kill-regrelay',
        'lose-echoes',
        'stop-registry',
      ]);
      for (const pair of ['dc', 'held']) {
        const conflict = plan.steps.some((s) =>
          s.ops.some((o) => o.kind === 'both-push' && o.target === pair && o.a !== o.b),
        );
        expect(conflict).toBe(true);
      }
      plan.steps.forEach((step, i) => {
        const world = worldAfter(plan, i);
        const keys = step.ops.flatMap((op) => keysOf(world, op));
        expect(new Set(keys).size).toBe(keys.length);
      });
    }
  });
});
