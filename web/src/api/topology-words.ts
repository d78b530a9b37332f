import { formatCount } from '../format';
import type { Conflict, NodeStatus, TopologyStatus } from './topology-types';

export type SyncTone = 'good' | 'bad' | 'unknown';

/**
 * Where a node stands, in words: "in sync", or what is off ("missing 3 · different 1 ·
 * waiting 2"), or "not compared yet". Missing and different are what the last sync
 * found (it repairs them as it goes); waiting are deliveries held for a node that was down.
 */
export function syncState(n: NodeStatus): { text: string; tone: SyncTone } {
  if (n.role === 'root') return { text: 'root: the source', tone: 'good' };
  const off = [
    n.missing ? `missing ${formatCount(n.missing)}` : '',
    n.different ? `different ${formatCount(n.different)}` : '',
    n.waiting ? `waiting ${formatCount(n.waiting)}` : '',
  ].filter(Boolean);
  if (off.length) return { text: off.join(' · '), tone: 'bad' };
  if (n.inSync === true) return { text: 'in sync', tone: 'good' };
  if (n.inSync === false) return { text: 'out of sync', tone: 'bad' };
  return { text: 'not compared yet', tone: 'unknown' };
}

/** A topology in one line: "all 6 nodes in sync", "2 of 6 nodes out of sync · 1 conflict held". */
export function statusSummary(s: TopologyStatus): { text: string; tone: SyncTone } {
  const nodes = s.nodes.filter((n) => n.role !== 'root');
  const off = nodes.filter((n) => syncState(n).tone === 'bad').length;
  const unknown = nodes.filter((n) => syncState(n).tone === 'unknown').length;
  const noun = (count: number, one: string, many = `${one}s`) =>
    `${formatCount(count)} ${count === 1 ? one : many}`;
  const parts: string[] = [];
  if (off) parts.push(`${formatCount(off)} of ${noun(nodes.length, 'node')} out of sync`);
  else if (unknown === nodes.length) parts.push('not compared yet');
  else if (unknown)
    parts.push(`${formatCount(unknown)} of ${noun(nodes.length, 'node')} not compared yet`);
  else
    parts.push(
      s.kind === 'dual-master' ? 'both sides in sync' : `all ${noun(nodes.length, 'node')} in sync`,
    );
  if (s.conflictsHeld) parts.push(`${noun(s.conflictsHeld, 'conflict')} held`);
  return {
    text: parts.join(' · '),
    tone: off || s.conflictsHeld ? 'bad' : unknown ? 'unknown' : 'good',
  };
}

/** How a pair's conflict was settled, in words; `names` maps registry ids to names. */
export function resolutionText(c: Conflict, names: Map<string, string>): string {
  const winner = Object.entries(c.digests).find(([, d]) => d && d === c.resolvedDigest)?.[0];
  const side = winner ? `${names.get(winner) ?? winner.slice(0, 8)}'s digest` : 'a digest';
  switch (c.resolution) {
    case 'prefer-first':
      return `${side} kept: the rule prefers the first registry`;
    case 'prefer-second':
      return `${side} kept: the rule prefers the second registry`;
    case 'newest':
      return `${side} kept: it was pushed last`;
    case 'manual':
      return `${side} kept: chosen by a person`;
    case 'change-kept':
      return `${side} kept: deleted on one side, changed on the other, so the change stays`;
    case 'held':
      return 'held: waiting for a person to choose';
    default:
      return c.resolution;
  }
}
