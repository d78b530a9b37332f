import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { registryNames } from '../api/lookups';
import type { Execution, Page as ApiPage, Policy } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { formatBytes } from '../format';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { Link, navigate } from '../router';
import { DriftReport } from './drift-report';
import { ExecutionTable } from './execution-table';
import { triggerText } from './policies';
import { PolicyButtons, usePolicyAction } from './policy-actions';
import { SelectionPreview } from './policy-preview';

export function PolicyDetailPage({ id }: { id: string }) {
  const canWrite = useCanWrite();
  const data = useResource(
    async (signal) => {
      const [policy, names] = await Promise.all([
        api<Policy>(`/api/v1/policies/${id}`, { signal }),
        registryNames(signal),
      ]);
      return { policy, names };
    },
    [id],
  );
  const executions = useResource(
    (signal) => api<ApiPage<Execution>>(`/api/v1/executions?policyId=${id}&limit=10`, { signal }),
    [id],
  );
  const [deleting, setDeleting] = useState(false);
  const { act, error: actionError } = usePolicyAction(data.reload);

  const p = data.data?.policy;
  const names = data.data?.names;
  const name = (registryId: string) => names?.get(registryId) ?? registryId.slice(0, 8);
  return (
    <Page
      title={p ? `Policy ${p.name}` : 'Policy'}
      name="policy"
      ready={p !== undefined}
      subtitle={
        p &&
        (p.enabled ? <span class="text-good">enabled</span> : <span class="muted">disabled</span>)
      }
      actions={
        canWrite &&
        p && (
          <>
            <PolicyButtons policy={p} act={act} />
            <button type="button" class="button danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </>
        )
      }
    >
      {data.error !== undefined && <ErrorNotice error={data.error} />}
      {actionError && <ErrorNotice message={actionError} />}
      {!p && data.loading && <Loading />}
      {p && (
        <>
          <section class="card">
            <dl class="facts">
              <dt>Source</dt>
              <dd>{name(p.sourceRegistryId)}</dd>
              <dt>Destinations</dt>
              <dd>
                {p.destinations
                  .map(
                    (d) => `${name(d.registryId)}${d.namespace ? ` (into ${d.namespace}/)` : ''}`,
                  )
                  .join(', ')}
              </dd>
              <dt>Repositories</dt>
              <dd class="mono">
                {p.filters.repositories.join(', ')}
                {p.filters.excludeRepositories.length > 0 && (
                  <> except {p.filters.excludeRepositories.join(', ')}</>
                )}
              </dd>
              <dt>Tags</dt>
              <dd class="mono">
                {p.filters.tags.join(', ')}
                {p.filters.excludeTags.length > 0 && (
                  <> except {p.filters.excludeTags.join(', ')}</>
                )}
              </dd>
              <dt>Trigger</dt>
              <dd>{triggerText(p)}</dd>
              <dt>Drift check</dt>
              <dd>
                {p.reconcile.cron ? `cron ${p.reconcile.cron}` : 'only when asked'}
                {p.reconcile.repair && ', repairs what it finds'}
              </dd>
              <dt>Options</dt>
              <dd>
                {[
                  p.override ? 'overrides differing tags' : 'keeps differing tags',
                  p.deletion ? 'propagates deletions (guarded)' : 'never deletes',
                  p.maxConcurrency ? `${p.maxConcurrency} tasks at once` : undefined,
                  p.bandwidthLimit ? `${formatBytes(p.bandwidthLimit)}/s` : undefined,
                ]
                  .filter(Boolean)
                  .join('; ')}
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="recent-title">
            <div class="card-head">
              <h2 id="recent-title">Recent executions</h2>
              <Link href={`/executions?policyId=${p.id}`}>All executions of {p.name}</Link>
            </div>
            {executions.data && (
              <ExecutionTable executions={executions.data.items} showOwner={false} />
            )}
            {executions.data?.items.length === 0 && <p class="muted">Not run yet.</p>}
          </section>
          <DriftReport policyId={p.id} canWrite={canWrite} />
          <SelectionPreview sourceRegistryId={p.sourceRegistryId} filters={p.filters} />
        </>
      )}
      {deleting && p && (
        <ConfirmDialog
          title={`Delete policy ${p.name}?`}
          confirmLabel="Delete policy"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api(`/api/v1/policies/${p.id}`, { method: 'DELETE' });
            navigate('/policies');
          }}
        >
          <p>
            Its executions, their tasks and its ledger of what it replicated go with it. Nothing is
            deleted from any registry.
          </p>
        </ConfirmDialog>
      )}
    </Page>
  );
}
