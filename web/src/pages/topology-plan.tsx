import { api } from '../api/client';
import type { TopologyPlan } from '../api/topology-types';
import { Dialog } from '../components/dialog';
import { Digest } from '../components/digest';
import { ErrorNotice } from '../components/notice';
import { Loading } from '../components/page';
import { formatCount } from '../format';
import { useResource } from '../hooks/use-resource';

/**
 * The dry run of a full sync (GET /topologies/:id/plan): what would be copied or
 * deleted where, the first 500 actions. Nothing changes; it may take a while on a
 * large registry (the server stops after a minute and says so).
 */
export function TopologyPlanDialog({
  topologyId,
  names,
  onClose,
}: {
  topologyId: string;
  names: Map<string, string>;
  onClose: () => void;
}) {
  const plan = useResource(
    (signal) => api<TopologyPlan>(`/api/v1/topologies/${topologyId}/plan`, { signal }),
    [topologyId],
  );
  const p = plan.data;
  const name = (id: string) => names.get(id) ?? id.slice(0, 8);
  return (
    <Dialog
      title="What a sync would do"
      wide
      onClose={onClose}
      footer={
        <button type="button" class="button" onClick={onClose}>
          Close
        </button>
      }
    >
      {plan.loading && !p && <Loading />}
      {plan.error !== undefined && <ErrorNotice error={plan.error} />}
      {p && (
        <div data-testid="plan">
          <p class="preview-summary">
            {p.copies + p.deletions === 0
              ? 'Nothing to copy or delete: everything selected is in place.'
              : `${formatCount(p.copies)} ${p.copies === 1 ? 'copy' : 'copies'} and ${formatCount(p.deletions)} ${p.deletions === 1 ? 'deletion' : 'deletions'} would be made.`}
          </p>
          {p.items.length < p.copies + p.deletions && (
            <p class="muted">The first {formatCount(p.items.length)} are listed.</p>
          )}
          {p.truncated && p.items.length === p.copies + p.deletions && (
            <p class="muted">The dry run stopped after a minute: there may be more.</p>
          )}
          {p.items.length > 0 && (
            <div class="table-wrap">
              <table class="table compact">
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">From → to</th>
                    <th scope="col">Artifact</th>
                    <th scope="col" class="hide-sm">
                      Digest
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((a, i) => (
                    <tr key={i}>
                      <td>{a.action}</td>
                      <td>
                        {name(a.from)} → {name(a.to)}
                      </td>
                      <td class="wrap mono">
                        {a.repository}
                        {a.tag ? `:${a.tag}` : ''}
                      </td>
                      <td class="hide-sm">
                        <Digest value={a.digest} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}
