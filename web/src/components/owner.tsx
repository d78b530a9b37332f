import { describeOwner } from '../api/owner';
import type { Execution } from '../api/types';
import { Link } from '../router';

/** Who an execution works for: a link to its policy, or its kind and name (a one-off copy…). */
export function Owner({
  execution,
  policies,
}: {
  execution: Execution;
  policies?: Map<string, string>;
}) {
  const owner = describeOwner(execution, policies);
  if (!owner) return <span class="muted">—</span>;
  if (owner.policyId) return <Link href={`/policies/${owner.policyId}`}>{owner.name}</Link>;
  if (owner.kind === 'topology' && execution.owner)
    return (
      <span>
        <span class="tag">topology</span>{' '}
        <Link href={`/topologies/${execution.owner.id}`}>{owner.name}</Link>
      </span>
    );
  return (
    <span>
      <span class="tag">{owner.kind}</span> {owner.name}
    </span>
  );
}
