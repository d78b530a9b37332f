import type { Execution } from '../api/types';
import { Link } from '../router';

/**
 * Who an execution works for. Newer servers say so in `owner` (a policy, a one-off
 * copy, …) and leave `policyId` null for what no policy owns; older ones give only
 * `policyId`. Both are read.
 */
export function Owner({
  execution,
  policies,
}: {
  execution: Execution;
  policies?: Map<string, string>;
}) {
  const { owner, policyId } = execution;
  if (owner && owner.kind !== 'policy') {
    return (
      <span>
        <span class="tag">{owner.kind}</span> {owner.name ?? owner.id.slice(0, 8)}
      </span>
    );
  }
  const id = owner?.id ?? policyId;
  if (!id) return <span class="muted">—</span>;
  const name = owner?.name ?? policies?.get(id) ?? `policy ${id.slice(0, 8)}`;
  return <Link href={`/policies/${id}`}>{name}</Link>;
}

/** The policy an execution belongs to, if a policy owns it. */
export function owningPolicy(execution: Execution): string | undefined {
  if (execution.owner) return execution.owner.kind === 'policy' ? execution.owner.id : undefined;
  return execution.policyId ?? undefined;
}
