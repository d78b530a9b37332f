import { describe, expect, it } from '@jest/globals';
import { resolutionText, statusSummary, syncState } from './topology-words';
import type { Conflict, NodeStatus, TopologyStatus } from './topology-types';

const node = (over: Partial<NodeStatus>): NodeStatus => ({
  registryId: 'r1',
  registry: 'east',
  role: 'node',
  parent: 'r0',
  inSync: true,
  missing: 0,
  different: 0,
  waiting: 0,
  lagSeconds: null,
  lastError: null,
  lastErrorAt: null,
  lastSyncedAt: null,
  checkedAt: '2026-12-01T10:00:00.000Z',
  ...over,
});

describe('topology words', () => {
  it('says where a node stands, naming what is off', () => {
    expect(syncState(node({}))).toEqual({ text: 'in sync', tone: 'good' });
    expect(syncState(node({ inSync: false, missing: 3, different: 1, waiting: 1200 }))).toEqual({
      text: 'missing 3 · different 1 · waiting 1,200',
      tone: 'bad',
    });
    expect(syncState(node({ inSync: false, waiting: 2, missing: null }))).toEqual({
      text: 'waiting 2',
      tone: 'bad',
    });
    expect(
      syncState(node({ inSync: null, missing: null, different: null, checkedAt: null })),
    ).toEqual({
      text: 'not compared yet',
      tone: 'unknown',
    });
    expect(syncState(node({ role: 'root', parent: null })).text).toBe('root: the source');
  });

  it('sums a topology up in one line', () => {
    const status = (nodes: NodeStatus[], conflictsHeld = 0): TopologyStatus => ({
      topologyId: 't',
      kind: 'tree',
      nodes: [node({ role: 'root', parent: null }), ...nodes],
      conflictsHeld,
    });
    expect(statusSummary(status([node({}), node({})]))).toEqual({
      text: 'all 2 nodes in sync',
      tone: 'good',
    });
    expect(statusSummary(status([node({ missing: 1, inSync: false }), node({})], 1))).toEqual({
      text: '1 of 2 nodes out of sync · 1 conflict held',
      tone: 'bad',
    });
    expect(statusSummary(status([node({ inSync: null, checkedAt: null })])).text).toBe(
      'not compared yet',
    );
    expect(
      statusSummary({
        ...status([]),
        kind: 'dual-master',
        nodes: [node({ role: 'first' }), node({ role: 'second' })],
      }).text,
    ).toBe('both sides in sync');
  });

  it('says how a conflict was settled, naming the side that won', () => {
    const names = new Map([
      ['a', 'dc-a'],
      ['b', 'dc-b'],
    ]);
    const conflict = (over: Partial<Conflict>): Conflict => ({
      id: 'c',
      repository: 'app',
      tag: 'latest',
      digests: { a: 'sha256:aa', b: 'sha256:bb' },
      resolution: 'manual',
      resolvedDigest: 'sha256:bb',
      detectedAt: '2026-12-01T10:00:00.000Z',
      resolvedAt: '2026-12-01T10:01:00.000Z',
      ...over,
    });
    expect(resolutionText(conflict({}), names)).toBe("dc-b's digest kept: chosen by a person");
    expect(
      resolutionText(conflict({ resolution: 'prefer-first', resolvedDigest: 'sha256:aa' }), names),
    ).toBe("dc-a's digest kept: the rule prefers the first registry");
    expect(resolutionText(conflict({ resolution: 'held', resolvedDigest: null }), names)).toBe(
      'held: waiting for a person to choose',
    );
  });
});
