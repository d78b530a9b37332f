import { describe, expect, it } from '@jest/globals';
import { threeWay, type ThreeWayDecision } from './three-way.js';

const S = 'sha256:base';
const X = 'sha256:x';
const Y = 'sha256:y';

/**
 * Every case of the pair comparison: (last synced digest, side A now, side B now) →
 * what converges the pair. null means never synced (base) or absent (a side).
 */
describe('threeWay: last synced digest, side A, side B', () => {
  it.each<[string, string | null, string | null, string | null, ThreeWayDecision]>([
    ['unchanged', S, S, S, { action: 'none', case: 'unchanged' }],
    [
      'A changed',
      S,
      X,
      S,
      { action: 'copy', case: 'a-changed', from: 'a', digest: X, report: false },
    ],
    [
      'B changed',
      S,
      S,
      Y,
      { action: 'copy', case: 'b-changed', from: 'b', digest: Y, report: false },
    ],
    [
      'both changed to the same digest',
      S,
      X,
      X,
      { action: 'record', case: 'both-changed-same', digest: X },
    ],
    [
      'both changed differently',
      S,
      X,
      Y,
      { action: 'conflict', case: 'both-changed-differently', digests: { a: X, b: Y } },
    ],
    [
      'created on A',
      null,
      X,
      null,
      { action: 'copy', case: 'created-on-a', from: 'a', digest: X, report: false },
    ],
    [
      'created on B',
      null,
      null,
      Y,
      { action: 'copy', case: 'created-on-b', from: 'b', digest: Y, report: false },
    ],
    [
      'created on both, the same',
      null,
      X,
      X,
      { action: 'record', case: 'created-on-both-same', digest: X },
    ],
    [
      'created on both, differently',
      null,
      X,
      Y,
      { action: 'conflict', case: 'created-on-both-differently', digests: { a: X, b: Y } },
    ],
    [
      'deleted on A, unchanged on B',
      S,
      null,
      S,
      { action: 'delete', case: 'deleted-on-a', on: 'b' },
    ],
    [
      'deleted on B, unchanged on A',
      S,
      S,
      null,
      { action: 'delete', case: 'deleted-on-b', on: 'a' },
    ],
    [
      'deleted on A, changed on B',
      S,
      null,
      Y,
      { action: 'copy', case: 'deleted-on-a-changed-on-b', from: 'b', digest: Y, report: true },
    ],
    [
      'deleted on B, changed on A',
      S,
      X,
      null,
      { action: 'copy', case: 'deleted-on-b-changed-on-a', from: 'a', digest: X, report: true },
    ],
    ['deleted on both', S, null, null, { action: 'forget', case: 'deleted-on-both' }],
    ['never anywhere', null, null, null, { action: 'none', case: 'absent' }],
  ])('%s', (_case, base, a, b, expected) => {
    expect(threeWay(base, a, b)).toEqual(expected);
  });

  it('is symmetric: swapping the sides swaps the decision', () => {
    const swap = { a: 'b', b: 'a' } as const;
    const digests = [null, S, X, Y];
    for (const base of [null, S])
      for (const a of digests)
        for (const b of digests) {
          const d = threeWay(base, a, b);
          const mirrored = threeWay(base, b, a);
          expect(mirrored.action).toBe(d.action);
          if (d.action === 'copy' && mirrored.action === 'copy')
            expect(mirrored.from).toBe(swap[d.from]);
          if (d.action === 'delete' && mirrored.action === 'delete')
            expect(mirrored.on).toBe(swap[d.on]);
        }
  });
});
