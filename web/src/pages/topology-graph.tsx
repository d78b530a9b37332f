import { syncState } from '../api/topology-words';
import type { ConflictRule, NodeStatus, Topology } from '../api/topology-types';
import { When } from '../components/time';
import { formatDuration } from '../format';

/** One node: its registry, where it stands (in words), lag, last delivery, last error. */
function NodeCard({ node, namespace }: { node: NodeStatus; namespace: string | null }) {
  const state = syncState(node);
  const name = node.registry ?? node.registryId.slice(0, 8);
  return (
    <div
      class={`node-card tone-${state.tone}`}
      data-node={name}
      data-sync={
        state.tone === 'good' ? 'in-sync' : state.tone === 'bad' ? 'out-of-sync' : 'unknown'
      }
    >
      <div class="node-head">
        <strong>{name}</strong>
        {node.role !== 'node' && <span class="tag">{node.role}</span>}
        {namespace && (
          <span class="tag" title="Where the root's repositories live here">
            {namespace}/
          </span>
        )}
      </div>
      <p class={`node-state text-${state.tone}`}>{state.text}</p>
      {node.role !== 'root' && (
        <dl class="node-facts">
          <dt>Lag</dt>
          <dd class="node-lag">
            {node.lagSeconds === null ? (
              <span class="muted">none measured</span>
            ) : (
              formatDuration(node.lagSeconds * 1000)
            )}
          </dd>
          <dt>Last delivery</dt>
          <dd>
            <When iso={node.lastSyncedAt} />
          </dd>
          <dt>Compared</dt>
          <dd>
            <When iso={node.checkedAt} />
          </dd>
          {node.lastError && (
            <>
              <dt>Last error</dt>
              <dd class="node-error">
                <span class="text-bad">{node.lastError}</span>{' '}
                <When iso={node.lastErrorAt} inline />
              </dd>
            </>
          )}
        </dl>
      )}
    </div>
  );
}

function Subtree({
  node,
  byParent,
  namespaces,
  depth,
}: {
  node: NodeStatus;
  byParent: Map<string, NodeStatus[]>;
  namespaces: Map<string, string | null>;
  depth: number;
}) {
  const children = byParent.get(node.registryId) ?? [];
  return (
    <li>
      <NodeCard node={node} namespace={namespaces.get(node.registryId) ?? null} />
      {children.length > 0 && depth < 64 && (
        <ul>
          {children.map((c) => (
            <Subtree
              key={c.registryId}
              node={c}
              byParent={byParent}
              namespaces={namespaces}
              depth={depth + 1}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

/**
 * A tree drawn as levels, root at the top and leaves at the bottom (on a phone: an
 * indented list). Nested lists, so the shape is read out as well as seen.
 */
export function TreeGraph({ topology, nodes }: { topology: Topology; nodes: NodeStatus[] }) {
  const byParent = new Map<string, NodeStatus[]>();
  for (const n of nodes) {
    if (!n.parent) continue;
    byParent.set(n.parent, [...(byParent.get(n.parent) ?? []), n]);
  }
  const namespaces = new Map(topology.nodes.map((n) => [n.registryId, n.namespace]));
  const root = nodes.find((n) => n.role === 'root');
  if (!root) return <p class="muted">This tree has no root.</p>;
  return (
    <div class="graph-wrap">
      <ul class="tree" aria-label={`Nodes of ${topology.name}, from the root down`}>
        <Subtree node={root} byParent={byParent} namespaces={namespaces} depth={0} />
      </ul>
    </div>
  );
}

const RULES: Record<ConflictRule, string> = {
  'prefer-first': 'the first registry wins a conflict',
  'prefer-second': 'the second registry wins a conflict',
  newest: 'the newest push wins a conflict',
  hold: 'conflicts wait for a person',
};

/** A dual-master pair: two boxes, copying both ways. */
export function PairGraph({ topology, nodes }: { topology: Topology; nodes: NodeStatus[] }) {
  const first = nodes.find((n) => n.role === 'first');
  const second = nodes.find((n) => n.role === 'second');
  return (
    <div class="pair" role="group" aria-label={`The two sides of ${topology.name}`}>
      {first && <NodeCard node={first} namespace={null} />}
      <div class="pair-link">
        <span class="pair-arrow" aria-hidden="true">
          ⇄
        </span>
        <span class="small">
          copies both ways; {topology.conflict ? RULES[topology.conflict] : 'conflicts are listed'}
        </span>
      </div>
      {second && <NodeCard node={second} namespace={null} />}
    </div>
  );
}
