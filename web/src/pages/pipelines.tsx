import { api } from '../api/client';
import { gateText } from '../api/gate-words';
import type { Pipeline } from '../api/pipeline-types';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { When } from '../components/time';
import { useResource } from '../hooks/use-resource';
import { useSession } from '../hooks/use-session';
import { Link } from '../router';

/** Every pipeline with its stages in order and what each stage's gates ask for. */
export function PipelinesPage() {
  const isAdmin = useSession()?.who.role === 'admin';
  const data = useResource((signal) => api<Pipeline[]>('/api/v1/pipelines', { signal }), []);
  const list = data.data;
  return (
    <Page
      title="Pipelines"
      name="pipelines"
      ready={list !== undefined}
      actions={
        isAdmin && (
          <Link href="/pipelines/new" class="button primary">
            New pipeline
          </Link>
        )
      }
    >
      {data.error !== undefined && <ErrorNotice error={data.error} />}
      {!list && data.loading && <Loading />}
      {list?.length === 0 && (
        <p class="empty">
          No pipelines yet. A pipeline moves the exact digest that passed its tests from stage to
          stage (dev → test → prod), through gates{isAdmin ? '' : '; an admin creates them'}.
        </p>
      )}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Stages</th>
                <th scope="col" class="hide-sm">
                  Changed
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id} data-pipeline={p.name}>
                  <th scope="row">
                    <Link href={`/pipelines/${p.id}`}>{p.name}</Link>
                  </th>
                  <td>
                    <ol class="stage-line">
                      {p.stages.map((s) => (
                        <li key={s.id}>
                          <strong>{s.name}</strong>{' '}
                          <span class="muted small">
                            {s.registry ?? s.registryId.slice(0, 8)}
                            {s.gates.length > 0 && ` · ${s.gates.map(gateText).join('; ')}`}
                            {s.autoPromote && ' · auto'}
                          </span>
                        </li>
                      ))}
                    </ol>
                  </td>
                  <td class="hide-sm">
                    <When iso={p.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
