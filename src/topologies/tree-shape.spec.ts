import { describe, expect, it } from '@jest/globals';
import { treeProblems, TreeShape, type TreeNode } from './tree-shape.js';

const node = (
  registryId: string,
  parent: string | null,
  namespace: string | null = null,
): TreeNode => ({
  registryId,
  parent,
  namespace,
});

describe('treeProblems', () => {
  it('accepts one root with any depth and fan-out', () => {
    expect(
      treeProblems([
        node('hq', null),
        node('a', 'hq'),
        node('b', 'hq', 'mirror'),
        node('a1', 'a'),
        node('b1', 'b'),
      ]),
    ).toEqual([]);
  });

  it.each<[string, TreeNode[], { field: string; reason: RegExp }[]]>([
    [
      'no root',
      [node('a', 'b'), node('b', 'a')],
      [{ field: 'nodes', reason: /exactly one root.*found 0/ }],
    ],
    [
      'two roots',
      [node('a', null), node('b', null)],
      [{ field: 'nodes', reason: /exactly one root.*found 2/ }],
    ],
    [
      'a registry twice',
      [node('hq', null), node('a', 'hq'), node('a', 'hq')],
      [{ field: 'nodes[2].registryId', reason: /appears once per tree/ }],
    ],
    [
      'an unknown parent',
      [node('hq', null), node('a', 'zz')],
      [{ field: 'nodes[1].parent', reason: /not a node of this tree/ }],
    ],
    [
      'its own parent',
      [node('hq', null), node('a', 'a')],
      [{ field: 'nodes[1].parent', reason: /its own parent/ }],
    ],
    [
      'a namespace on the root',
      [node('hq', null, 'x'), node('a', 'hq')],
      [{ field: 'nodes[0].namespace', reason: /root/ }],
    ],
    [
      'a bad namespace',
      [node('hq', null), node('a', 'hq', 'Bad Name')],
      [{ field: 'nodes[1].namespace', reason: /valid repository path/ }],
    ],
    [
      'a loop below the root',
      [node('hq', null), node('a', 'b'), node('b', 'a')],
      [{ field: 'nodes', reason: /the parents form a loop: a → b → a/ }],
    ],
  ])('refuses %s', (_case, nodes, expected) => {
    expect(treeProblems(nodes)).toEqual(
      expected.map((e) => ({ field: e.field, reason: expect.stringMatching(e.reason) })),
    );
  });
});

describe('TreeShape', () => {
  const shape = new TreeShape([
    node('hq', null),
    node('east', 'hq', 'mirror'),
    node('west', 'hq'),
    node('east-1', 'east', 'city/one'),
  ]);

  it('knows children, and lists every node below the root parents first', () => {
    expect(shape.children('hq').map((n) => n.registryId)).toEqual(['east', 'west']);
    expect(shape.belowRoot().map((n) => n.registryId)).toEqual(['east', 'west', 'east-1']);
  });

  it("maps the root's repositories to each node and back", () => {
    expect(shape.repositoryAt('hq', 'library/app')).toBe('library/app');
    expect(shape.repositoryAt('east', 'library/app')).toBe('mirror/library/app');
    expect(shape.repositoryAt('east-1', 'library/app')).toBe('city/one/library/app');
    expect(shape.rootRepository('east', 'mirror/library/app')).toBe('library/app');
    expect(shape.rootRepository('east', 'other/app')).toBeUndefined();
    expect(shape.rootRepository('west', 'library/app')).toBe('library/app');
  });
});
