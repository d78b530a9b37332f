import { api } from '../api/client';
import { latestExecutions, registryNames } from '../api/lookups';
import type { Policy } from '../api/types';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { Link, useLocation } from '../router';
import { PolicyButtons, usePolicyAction } from './policy-actions';

export function triggerText(p: Policy): string {
  return p.trigger.type === 'cron' ? `cron ${p.trigger.cron}` : p.trigger.type;
}

export function PoliciesPage() {
  const canWrite = useCanWrite();
  const { query } = useLocation();
  const only = query.get('name') ?? '';
  const data = useResource(async (signal) => {
    const [policies, names] = await Promise.all([
      api<Policy[]>('/api/v1/policies', { signal }),
      registryNames(signal),
    ]);
    return { policies, names };
  }, []);
  const { act, error: actionError } = usePolicyAction(data.reload);
  const shown = data.data?.policies.filter((p) => !only || p.name === only);
  const latest = useResource(
    async (signal) =>
      shown
        ? latestExecutions(
            shown.map((p) => p.id),
            signal,
          )
        : undefined,
    [shown?.map((p) => p.id).join()],
  );

  const names = data.data?.names;
  return (
    <Page
      title="Policies"
      name="policies"
      ready={data.data !== undefined}
      actions={
        canWrite && (
          <Link href="/policies/new" class="button primary">
            New policy
          </Link>
        )
      }
    >
      {data.error !== undefined && <ErrorNotice error={data.error} />}
      {actionError && <ErrorNotice message={actionError} />}
      {!data.data && data.loading && <Loading />}
      {only && (
        <p>
          Showing policy <strong>{only}</strong>. <Link href="/policies">Show all</Link>
        </p>
      )}
      {shown?.length === 0 && <p class="empty">No policies{only ? ' by that name' : ' yet'}.</p>}
      {shown && shown.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source → destinations</th>
                <th scope="col" class="hide-sm">
                  Trigger
                </th>
                <th scope="col">State</th>
                <th scope="col">Last execution</th>
                {canWrite && (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => {
                const last = latest.data?.get(p.id);
                return (
                  <tr key={p.id} data-policy={p.name}>
                    <th scope="row">
                      <Link href={`/policies/${p.id}`}>{p.name}</Link>
                    </th>
                    <td>
                      {names?.get(p.sourceRegistryId) ?? '?'} →{' '}
                      {p.destinations
                        .map(
                          (d) =>
                            `${names?.get(d.registryId) ?? '?'}${d.namespace ? `/${d.namespace}` : ''}`,
                        )
                        .join(', ')}
                    </td>
                    <td class="hide-sm">{triggerText(p)}</td>
                    <td>
                      {p.enabled ? (
                        <span class="text-good">enabled</span>
                      ) : (
                        <span class="muted">disabled</span>
                      )}
                    </td>
                    <td>
                      {last ? (
                        <Link href={`/executions/${last.id}`} class="plain">
                          <StatusBadge status={last.status} />{' '}
                          <When iso={last.startedAt ?? last.createdAt} inline />
                        </Link>
                      ) : latest.loading ? (
                        <span class="muted">…</span>
                      ) : (
                        <span class="muted">never run</span>
                      )}
                    </td>
                    {canWrite && (
                      <td class="row-actions">
                        <PolicyButtons policy={p} act={act} small />
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
