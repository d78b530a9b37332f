import { describe, expect, it } from '@jest/globals';
import { describeCycle, findCycle, type GraphEdge } from './replication-graph.js';

const edge = (from: string, to: string, by = 'policy p', pair?: string): GraphEdge => ({
  from,
  to,
  by,
  pair,
});
const pair = (a: string, b: string, key = 'topology:pair'): GraphEdge[] => [
  edge(a, b, 'topology pair', key),
  edge(b, a, 'topology pair', key),
];
const path = (cycle: GraphEdge[] | undefined) =>
  cycle && [cycle[0]!.from, ...cycle.map((e) => e.to)];

describe('findCycle', () => {
  it('finds none in a tree or a chain', () => {
    expect(
      findCycle([edge('hq', 'a'), edge('hq', 'b'), edge('a', 'a1'), edge('a1', 'x')]),
    ).toBeUndefined();
  });

  it('finds a cycle of three, in order', () => {
    expect(path(findCycle([edge('a', 'b'), edge('b', 'c'), edge('c', 'a')]))).toEqual([
      'a',
      'b',
      'c',
      'a',
    ]);
  });

  it("allows a declared pair's own two edges", () => {
    expect(findCycle(pair('a', 'b'))).toBeUndefined();
    expect(findCycle([...pair('a', 'b'), edge('b', 'c'), edge('a', 'd')])).toBeUndefined();
  });

  it('refuses a longer cycle through a pair, a policy that doubles a pair, and two pairs over the same registries', () => {
    expect(path(findCycle([...pair('a', 'b'), edge('b', 'c'), edge('c', 'a')]))).toHaveLength(4);
    expect(findCycle([...pair('a', 'b'), edge('b', 'a')])).toBeDefined();
    expect(findCycle([...pair('a', 'b', 'one'), ...pair('a', 'b', 'two')])).toBeDefined();
  });

  it('looks only through the edges asked about', () => {
    const existing = [edge('a', 'b'), edge('b', 'c')];
    expect(findCycle([...existing, edge('x', 'y')], [edge('x', 'y')])).toBeUndefined();
    expect(path(findCycle([...existing, edge('c', 'a')], [edge('c', 'a')]))).toEqual([
      'c',
      'a',
      'b',
      'c',
    ]);
  });

  it('says a cycle with names and who makes it', () => {
    const cycle = findCycle([edge('1', '2', 'policy x'), edge('2', '1', 'topology y')])!;
    expect(
      describeCycle(
        cycle,
        new Map([
          ['1', 'hq'],
          ['2', 'east'],
        ]),
      ),
    ).toBe('hq → east → hq (policy x, topology y)');
  });
});
