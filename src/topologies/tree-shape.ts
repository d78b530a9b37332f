import type { FieldError } from '../common/validation.js';
import { isRepository } from '../oci/index.js';
import { destinationRepository } from '../policies/destination-naming.js';

/** A tree node as given: a registry, its parent (null: the root), its namespace. */
export interface TreeNode {
  registryId: string;
  parent: string | null;
  namespace: string | null;
}

/**
 * A validated tree: who feeds whom, and where the root's repositories live at each
 * node. Pure; built once per topology change.
 */
export class TreeShape {
  readonly root: TreeNode;
  private readonly byId: Map<string, TreeNode>;
  private readonly childrenOf = new Map<string, TreeNode[]>();

  constructor(nodes: readonly TreeNode[]) {
    this.byId = new Map(nodes.map((n) => [n.registryId, n]));
    const root = nodes.find((n) => n.parent === null);
    if (!root) throw new Error('a tree needs a root');
    this.root = root;
    for (const n of nodes) {
      if (n.parent === null) continue;
      this.childrenOf.set(n.parent, [...(this.childrenOf.get(n.parent) ?? []), n]);
    }
  }

  node(registryId: string): TreeNode | undefined {
    return this.byId.get(registryId);
  }

  children(registryId: string): TreeNode[] {
    return this.childrenOf.get(registryId) ?? [];
  }

  /** Every node but the root, parents before children. */
  belowRoot(): TreeNode[] {
    const out: TreeNode[] = [];
    const queue = [...this.children(this.root.registryId)];
    while (queue.length) {
      const next = queue.shift()!;
      out.push(next);
      queue.push(...this.children(next.registryId));
    }
    return out;
  }

  /** The repository at a node that holds the root's `repository`. */
  repositoryAt(registryId: string, repository: string): string {
    return destinationRepository(this.byId.get(registryId)?.namespace ?? null, repository);
  }

  /** The root's repository a node's repository holds, or undefined when it is not under the node's namespace. */
  rootRepository(registryId: string, repositoryAtNode: string): string | undefined {
    const namespace = this.byId.get(registryId)?.namespace;
    if (!namespace) return repositoryAtNode;
    const prefix = `${namespace}/`;
    return repositoryAtNode.startsWith(prefix) ? repositoryAtNode.slice(prefix.length) : undefined;
  }
}

/**
 * What makes a list of nodes a tree: exactly one root, every registry once, every
 * parent a node of the tree, no loop among the parents, namespaces that are valid
 * repository paths (and none on the root). Every problem at once, with its field.
 */
export function treeProblems(nodes: readonly TreeNode[], field = 'nodes'): FieldError[] {
  const problems: FieldError[] = [];
  const roots = nodes.filter((n) => n.parent === null);
  if (roots.length !== 1) {
    problems.push({
      field,
      reason: `a tree has exactly one root (a node whose parent is null); found ${roots.length}`,
    });
  }
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    const earlier = seen.get(n.registryId);
    if (earlier !== undefined) {
      problems.push({
        field: `${field}[${i}].registryId`,
        reason: `registry ${n.registryId} is already nodes[${earlier}]: a registry appears once per tree`,
      });
    } else seen.set(n.registryId, i);
    if (n.parent === n.registryId)
      problems.push({ field: `${field}[${i}].parent`, reason: 'a node cannot be its own parent' });
    else if (n.parent !== null && !nodes.some((m) => m.registryId === n.parent))
      problems.push({
        field: `${field}[${i}].parent`,
        reason: `registry ${n.parent} is not a node of this tree`,
      });
    if (n.namespace && n.parent === null)
      problems.push({
        field: `${field}[${i}].namespace`,
        reason:
          'the root holds the repositories under their own names; namespaces are for the other nodes',
      });
    if (n.namespace && !isRepository(n.namespace))
      problems.push({
        field: `${field}[${i}].namespace`,
        reason:
          'namespace must be a valid repository path: lowercase components of [a-z0-9] joined by ".", "_", "__" or "-", separated by "/"',
      });
  });
  if (problems.length) return problems;
  // Every node must reach the root by its parents.
  const parentOf = new Map(nodes.map((n) => [n.registryId, n.parent]));
  for (const n of nodes) {
    const path = [n.registryId];
    let at = n.parent;
    while (at !== null && !path.includes(at)) {
      path.push(at);
      at = parentOf.get(at) ?? null;
    }
    if (at !== null) {
      return [{ field, reason: `the parents form a loop: ${[...path, at].join(' → ')}` }];
    }
  }
  return problems;
}
