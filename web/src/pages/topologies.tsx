import { api } from '../api/client';
import { registryNames } from '../api/lookups';
import { statusSummary } from '../api/topology-words';
import type { Topology, TopologyStatus } from '../api/topology-types';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { Link } from '../router';

/** Topologies whose state the list asks for (one status call each, four at a time). */
const WITH_STATUS = 20;

/** "hq → 2 → 4" for a tree (nodes per level), "dc-a ⇄ dc-b" for a pair. */
export function shapeText(t: Topology, names: Map<string, string> | undefined): string {
  const name = (id: string) => names?.get(id) ?? id.slice(0, 8);
  if (t.kind === 'dual-master') return (t.registries ?? []).map(name).join(' ⇄ ');
  const root = t.nodes.find((n) => n.parent === null);
  if (!root) return '';
  const levels: number[] = [];
  let level = [root.registryId];
  for (let depth = 0; level.length && depth < 64; depth++) {
    const parents = new Set(level);
    level = t.nodes.filter((n) => n.parent && parents.has(n.parent)).map((n) => n.registryId);
    if (level.length) levels.push(level.length);
  }
  return [name(root.registryId), ...levels.map(String)].join(' → ');
}

async function statuses(ids: string[], signal: AbortSignal): Promise<Map<string, TopologyStatus>> {
  const found = new Map<string, TopologyStatus>();
  for (let i = 0; i < ids.length; i += 4) {
    const batch = await Promise.all(
      ids
        .slice(i, i + 4)
        .map((id) => api<TopologyStatus>(`/api/v1/topologies/${id}/status`, { signal })),
    );
    for (const s of batch) found.set(s.topologyId, s);
  }
  return found;
}

export function TopologiesPage() {
  const canWrite = useCanWrite();
  const data = useResource(async (signal) => {
    const [topologies, names] = await Promise.all([
      api<Topology[]>('/api/v1/topologies', { signal }),
      registryNames(signal),
    ]);
    return { topologies, names };
  }, []);
  const list = data.data?.topologies;
  const states = useResource(
    (signal) =>
      list
        ? statuses(
            list.slice(0, WITH_STATUS).map((t) => t.id),
            signal,
          )
        : Promise.resolve(undefined),
    [list?.map((t) => t.id).join()],
  );
  return (
    <Page
      title="Topologies"
      name="topologies"
      ready={list !== undefined}
      actions={
        canWrite && (
          <Link href="/topologies/new" class="button primary">
            New topology
          </Link>
        )
      }
    >
      {data.error !== undefined && <ErrorNotice error={data.error} />}
      {!list && data.loading && <Loading />}
      {list?.length === 0 && (
        <p class="empty">
          No topologies yet. A tree carries every push at its root down to every node; a dual-master
          pair keeps two writable registries in step.
        </p>
      )}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Registries</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t, i) => {
                const s = states.data?.get(t.id);
                const summary = s && statusSummary(s);
                return (
                  <tr key={t.id} data-topology={t.name}>
                    <th scope="row">
                      <Link href={`/topologies/${t.id}`}>{t.name}</Link>
                    </th>
                    <td>{t.kind === 'tree' ? 'tree' : 'dual-master pair'}</td>
                    <td class="wrap">{shapeText(t, data.data?.names)}</td>
                    <td>
                      {!t.enabled && <span class="muted">disabled · </span>}
                      {summary ? (
                        <span class={`text-${summary.tone}`}>{summary.text}</span>
                      ) : i >= WITH_STATUS ? (
                        <Link href={`/topologies/${t.id}`}>open to see</Link>
                      ) : states.error !== undefined ? (
                        <span class="muted">not readable now</span>
                      ) : (
                        <span class="muted">…</span>
                      )}
                    </td>
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
