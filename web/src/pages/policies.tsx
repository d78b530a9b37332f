import { api, errorText } from '../api/client';
import { latestExecutions } from '../api/lookups';
import type { Policy, Registry, TriggeredExecution } from '../api/types';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { Link, navigate, useLocation } from '../router';
import { useState } from 'preact/hooks';

export function triggerText(p: Policy): string {
  return p.trigger.type === 'cron' ? `cron ${p.trigger.cron}` : p.trigger.type;
}

export async function runPolicy(id: string): Promise<void> {
  const started = await api<TriggeredExecution>(`/api/v1/policies/${id}/executions`, {
    method: 'POST',
  });
  navigate(`/executions/${started.id}`);
}

export function PoliciesPage() {
  const canWrite = useCanWrite();
  const { query } = useLocation();
  const only = query.get('name') ?? '';
  const [actionError, setActionError] = useState<string>();
  const data = useResource(async (signal) => {
    const [policies, registries] = await Promise.all([
      api<Policy[]>('/api/v1/policies', { signal }),
      api<Registry[]>('/api/v1/registries', { signal }),
    ]);
    return { policies, names: new Map(registries.map((r) => [r.id, r.name])) };
  }, []);
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

  const act = async (work: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await work();
      data.reload();
    } catch (e) {
      setActionError(errorText(e));
    }
  };
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
                        <button
                          type="button"
                          class="button small"
                          disabled={!p.enabled}
                          onClick={() => void act(() => runPolicy(p.id))}
                        >
                          Run now
                        </button>
                        <button
                          type="button"
                          class="button small"
                          onClick={() =>
                            void act(() =>
                              api(`/api/v1/policies/${p.id}`, {
                                method: 'PATCH',
                                json: { enabled: !p.enabled },
                              }),
                            )
                          }
                        >
                          {p.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <Link href={`/policies/${p.id}/edit`} class="button small">
                          Edit
                        </Link>
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
