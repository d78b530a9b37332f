import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { statusSummary } from '../api/topology-words';
import type { SyncStarted, Topology, TopologyStatus } from '../api/topology-types';
import { isActive, type Execution, type Page as ApiPage } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { FollowExecution } from '../components/follow-execution';
import { ErrorNotice, Notice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { useVisibleInterval } from '../hooks/use-visible-interval';
import { Link, navigate } from '../router';
import { ExecutionTable } from './execution-table';
import { PairConflicts } from './topology-conflicts';
import { PairGraph, TreeGraph } from './topology-graph';
import { TopologyPlanDialog } from './topology-plan';

/** Status has no event stream: asked again this often while the tab is shown. */
const POLL_MS = 5_000;

/**
 * One topology: its nodes with where each stands, the dry-run plan, sync now, its
 * executions (followed live), and a pair's conflicts to settle.
 */
export function TopologyDetailPage({ id }: { id: string }) {
  const canWrite = useCanWrite();
  const [refresh, setRefresh] = useState(0);
  const topology = useResource(
    (signal) => api<Topology>(`/api/v1/topologies/${id}`, { signal }),
    [id],
  );
  const status = useResource(
    (signal) => api<TopologyStatus>(`/api/v1/topologies/${id}/status`, { signal }),
    [id, refresh],
  );
  const executions = useResource(
    (signal) =>
      api<ApiPage<Execution>>(`/api/v1/executions?ownerKind=topology&ownerId=${id}&limit=5`, {
        signal,
      }),
    [id, refresh],
  );
  const [planOpen, setPlanOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [note, setNote] = useState<{ text: string; executionId?: string }>();
  const [actionError, setActionError] = useState<unknown>();
  const [syncing, setSyncing] = useState(false);
  const reload = () => setRefresh((r) => r + 1);
  useVisibleInterval(reload, POLL_MS, topology.data !== undefined);

  const t = topology.data;
  const s = status.data;
  const names = new Map(
    (s?.nodes ?? []).map((n) => [n.registryId, n.registry ?? n.registryId.slice(0, 8)]),
  );
  const active = executions.data?.items.filter(isActive) ?? [];
  const summary = s && statusSummary(s);

  const syncNow = async () => {
    setSyncing(true);
    setActionError(undefined);
    try {
      const started = await api<SyncStarted>(`/api/v1/topologies/${id}/sync`, { method: 'POST' });
      setNote({
        text: started.coalesced
          ? 'A sync was already waiting to run; this request joined it.'
          : 'Sync started: every node is compared and repaired.',
        executionId: started.executionId,
      });
      reload();
    } catch (error) {
      setActionError(error);
    } finally {
      setSyncing(false);
    }
  };

  return (
    <Page
      title={t ? `Topology ${t.name}` : 'Topology'}
      name="topology"
      ready={t !== undefined && s !== undefined}
      subtitle={
        summary && (
          <span class={`text-${summary.tone}`} data-testid="topology-summary">
            {summary.text}
          </span>
        )
      }
      actions={
        t && (
          <>
            <button type="button" class="button" onClick={() => setPlanOpen(true)}>
              Show plan
            </button>
            {canWrite && (
              <>
                <button
                  type="button"
                  class="button primary"
                  disabled={syncing}
                  onClick={() => void syncNow()}
                >
                  {syncing ? 'Starting…' : 'Sync now'}
                </button>
                <Link href={`/topologies/${t.id}/edit`} class="button">
                  Edit
                </Link>
                <button type="button" class="button danger" onClick={() => setDeleting(true)}>
                  Delete
                </button>
              </>
            )}
          </>
        )
      }
    >
      {topology.error !== undefined && <ErrorNotice error={topology.error} />}
      {status.error !== undefined && t && <ErrorNotice error={status.error} />}
      {actionError !== undefined && <ErrorNotice error={actionError} />}
      {note && (
        <Notice>
          {note.text}{' '}
          {note.executionId && (
            <Link href={`/executions/${note.executionId}`}>
              Execution {note.executionId.slice(0, 8)}
            </Link>
          )}
        </Notice>
      )}
      {!t && topology.loading && <Loading />}
      {active.map((e) => (
        <FollowExecution key={e.id} id={e.id} onChange={reload} />
      ))}
      {t && (
        <section class="card" aria-labelledby="nodes-title">
          <div class="card-head">
            <h2 id="nodes-title">{t.kind === 'tree' ? 'Tree' : 'Pair'}</h2>
            <span class="muted small">
              Missing and different are what the last sync found; waiting are deliveries held for a
              node that did not answer. Lag runs from the push to the delivery here.
            </span>
          </div>
          {s &&
            (t.kind === 'tree' ? (
              <TreeGraph topology={t} nodes={s.nodes} />
            ) : (
              <PairGraph topology={t} nodes={s.nodes} />
            ))}
        </section>
      )}
      {t && <TopologyFacts topology={t} />}
      {t && (
        <section class="card" aria-labelledby="topology-executions-title">
          <div class="card-head">
            <h2 id="topology-executions-title">Recent executions</h2>
            <Link href={`/executions?ownerKind=topology&ownerId=${t.id}`}>All its executions</Link>
          </div>
          {executions.data && (
            <ExecutionTable executions={executions.data.items} showOwner={false} />
          )}
          {executions.data?.items.length === 0 && <p class="muted">None yet.</p>}
        </section>
      )}
      {t?.kind === 'dual-master' && (
        <PairConflicts
          topologyId={t.id}
          sides={t.registries ?? t.nodes.map((n) => n.registryId)}
          names={names}
          canWrite={canWrite}
          refresh={refresh}
          onResolved={reload}
        />
      )}
      {deleting && t && (
        <ConfirmDialog
          title={`Delete topology ${t.name}?`}
          confirmLabel="Delete topology"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api(`/api/v1/topologies/${t.id}`, { method: 'DELETE' });
            navigate('/topologies');
          }}
        >
          <p>
            Its executions and its ledger of what it replicated go with it. Nothing is deleted from
            any registry: every node keeps what it holds.
          </p>
        </ConfirmDialog>
      )}
      {planOpen && t && (
        <TopologyPlanDialog topologyId={t.id} names={names} onClose={() => setPlanOpen(false)} />
      )}
    </Page>
  );
}

function TopologyFacts({ topology: t }: { topology: Topology }) {
  const f = t.filters;
  return (
    <section class="card">
      <dl class="facts">
        <dt>Kind</dt>
        <dd>
          {t.kind === 'tree'
            ? 'tree: each parent passes what it received to its children'
            : 'dual-master pair: both sides writable'}
        </dd>
        <dt>Repositories</dt>
        <dd class="mono">
          {f.repositories.join(', ')}
          {f.excludeRepositories.length > 0 && <> except {f.excludeRepositories.join(', ')}</>}
        </dd>
        <dt>Tags</dt>
        <dd class="mono">
          {f.tags.join(', ')}
          {f.excludeTags.length > 0 && <> except {f.excludeTags.join(', ')}</>}
        </dd>
        <dt>Sync</dt>
        <dd>{t.reconcile.cron ? `cron ${t.reconcile.cron} (UTC)` : 'only when asked'}</dd>
        <dt>Options</dt>
        <dd>
          {[
            t.deletion ? 'deletions follow (guarded)' : 'never deletes',
            t.kind === 'tree' && (t.override ? 'replaces differing tags' : 'keeps differing tags'),
            t.enabled ? 'enabled' : 'disabled',
          ]
            .filter(Boolean)
            .join('; ')}
        </dd>
      </dl>
    </section>
  );
}
