import type { Execution } from './types';

export interface OwnerView {
  /** `policy`, `copy`, later `topology`, `promotion`… */
  kind: string;
  name: string;
  /** Set when a policy owns it: the console links to that policy. */
  policyId?: string;
}

/**
 * Who an execution works for. Newer servers say so in `owner` (a policy, a one-off
 * copy, …) and leave `policyId` null for what no policy owns; older ones give only
 * `policyId`. Both are read; undefined when neither says.
 */
export function describeOwner(
  e: Pick<Execution, 'owner' | 'policyId'>,
  policyNames?: Map<string, string>,
): OwnerView | undefined {
  const { owner, policyId } = e;
  if (owner && owner.kind !== 'policy') {
    return { kind: owner.kind, name: owner.name ?? owner.id.slice(0, 8) };
  }
  const id = owner?.id ?? policyId;
  if (!id) return undefined;
  return {
    kind: 'policy',
    name: owner?.name ?? policyNames?.get(id) ?? `policy ${id.slice(0, 8)}`,
    policyId: id,
  };
}
