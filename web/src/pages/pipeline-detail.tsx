import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Pipeline, PipelineState, Promotion } from '../api/pipeline-types';
import type { Page as ApiPage } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { SelectField } from '../components/field';
import { ErrorNotice, Notice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { Pager } from '../components/pager';
import { useResource } from '../hooks/use-resource';
import { useCanWrite, useSession } from '../hooks/use-session';
import { useVisibleInterval } from '../hooks/use-visible-interval';
import { Link, navigate, useLocation, withQuery } from '../router';
import { PipelineBoard, type BoardAction } from './pipeline-board';
import { PromoteDialog } from './promote-dialog';
import { PromotionTable } from './promotion-table';
import { ReleaseDialog, RollbackDialog } from './rollback-dialog';

const REPOSITORIES = 25;
const DIGESTS = 5;
const TAGS = 5;
const HISTORY = 20;
/** Promotions have no event stream: asked again this often while one is open… */
const OPEN_POLL_MS = 2_000;
/** …and this often otherwise, to notice what CI asks for meanwhile. */
const IDLE_POLL_MS = 15_000;

/**
 * One pipeline: its stages as columns with each repository's digests and tags,
 * promotions still open, the history (paged on the server), and promote, roll back
 * and release.
 */
export function PipelineDetailPage({ id }: { id: string }) {
  const canWrite = useCanWrite();
  const isAdmin = useSession()?.who.role === 'admin';
  const { query } = useLocation();
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const historyOffset = Math.max(0, Number(query.get('historyOffset') ?? 0) || 0);
  const repository = query.get('repository') ?? '';
  const stage = query.get('stage') ?? '';
  const [refresh, setRefresh] = useState(0);
  const reload = () => setRefresh((r) => r + 1);

  const pipeline = useResource(
    (signal) => api<Pipeline>(`/api/v1/pipelines/${id}`, { signal }),
    [id],
  );
  const state = useResource(
    (signal) =>
      api<PipelineState>(
        withQuery(`/api/v1/pipelines/${id}/state`, {
          limit: REPOSITORIES,
          offset,
          digests: DIGESTS,
          tags: TAGS,
        }),
        { signal },
      ),
    [id, offset, refresh],
  );
  const open = useResource(
    (signal) =>
      api<ApiPage<Promotion>>(`/api/v1/pipelines/${id}/history?status=open&limit=50`, { signal }),
    [id, refresh],
  );
  const history = useResource(
    (signal) =>
      api<ApiPage<Promotion>>(
        withQuery(`/api/v1/pipelines/${id}/history`, {
          limit: HISTORY,
          offset: historyOffset,
          repository,
          stage,
        }),
        { signal },
      ),
    [id, historyOffset, repository, stage, refresh],
  );
  const anyOpen = (open.data?.total ?? 0) > 0;
  useVisibleInterval(reload, anyOpen ? OPEN_POLL_MS : IDLE_POLL_MS, pipeline.data !== undefined);

  const [action, setAction] = useState<
    BoardAction | { kind: 'promote-new' } | { kind: 'delete' }
  >();
  const [note, setNote] = useState<{ text: string; promotionId?: string }>();
  const go = (change: Record<string, string | number | undefined>) =>
    navigate(
      withQuery(`/pipelines/${id}`, { offset, historyOffset, repository, stage, ...change }),
      { replace: true },
    );

  const p = pipeline.data;
  const s = state.data;
  const repositories = [
    ...new Set(s?.stages.flatMap((x) => x.repositories.map((r) => r.repository)) ?? []),
  ];
  const close = () => setAction(undefined);
  return (
    <Page
      title={p ? `Pipeline ${p.name}` : 'Pipeline'}
      name="pipeline"
      ready={p !== undefined && s !== undefined}
      subtitle={p && p.stages.map((x) => x.name).join(' → ')}
      actions={
        p && (
          <>
            {canWrite && (
              <button
                type="button"
                class="button primary"
                onClick={() => setAction({ kind: 'promote-new' })}
              >
                Promote…
              </button>
            )}
            {isAdmin && (
              <>
                <Link href={`/pipelines/${p.id}/edit`} class="button">
                  Edit pipeline
                </Link>
                <button
                  type="button"
                  class="button danger"
                  onClick={() => setAction({ kind: 'delete' })}
                >
                  Delete pipeline
                </button>
              </>
            )}
          </>
        )
      }
    >
      {pipeline.error !== undefined && <ErrorNotice error={pipeline.error} />}
      {state.error !== undefined && p && <ErrorNotice error={state.error} />}
      {note && (
        <Notice>
          {note.text}{' '}
          {note.promotionId && (
            <Link href={`/promotions/${note.promotionId}`}>
              Promotion {note.promotionId.slice(0, 8)}
            </Link>
          )}
        </Notice>
      )}
      {!p && pipeline.loading && <Loading />}
      {p && s && (
        <section aria-labelledby="board-title">
          <h2 id="board-title">Where each digest stands</h2>
          {s.repositoryCount === 0 ? (
            <p class="empty">
              Nothing promoted or seen yet. Digests show here once they are promoted, pushed to a
              stage whose registry sends webhooks, or named in a promotion.
            </p>
          ) : (
            <PipelineBoard pipeline={p} state={s} canWrite={canWrite} act={setAction} />
          )}
          <Pager
            label="Repository pages"
            total={s.repositoryCount ?? repositories.length}
            limit={REPOSITORIES}
            offset={offset}
            onPage={(o) => go({ offset: o })}
          />
        </section>
      )}
      {p && open.data && open.data.total > 0 && (
        <section class="card" aria-labelledby="open-title">
          <h2 id="open-title">Open promotions ({open.data.total})</h2>
          <PromotionTable promotions={open.data.items} />
        </section>
      )}
      {p && (
        <section class="card" aria-labelledby="history-title">
          <h2 id="history-title">History</h2>
          <div class="filters" role="search" aria-label="Filter the history">
            <RepositoryFilter
              value={repository}
              onApply={(v) => go({ repository: v || undefined, historyOffset: 0 })}
            />
            <SelectField
              label="Stage"
              value={stage}
              onChange={(v) => go({ stage: v, historyOffset: 0 })}
              options={[
                { value: '', label: 'Any stage' },
                ...p.stages.slice(1).map((x) => ({ value: x.name, label: `into ${x.name}` })),
              ]}
            />
          </div>
          {history.error !== undefined && <ErrorNotice error={history.error} />}
          {history.data?.items.length === 0 && (
            <p class="muted">No promotions{repository || stage ? ' match' : ' yet'}.</p>
          )}
          {history.data && <PromotionTable promotions={history.data.items} />}
          {history.data && (
            <Pager
              label="History pages"
              total={history.data.total}
              limit={HISTORY}
              offset={historyOffset}
              onPage={(o) => go({ historyOffset: o })}
            />
          )}
        </section>
      )}
      {p && action?.kind === 'promote-new' && (
        <PromoteDialog pipeline={p} repositories={repositories} isAdmin={isAdmin} onClose={close} />
      )}
      {p && action?.kind === 'promote' && (
        <PromoteDialog
          pipeline={p}
          preset={action.request}
          repositories={repositories}
          isAdmin={isAdmin}
          onClose={close}
        />
      )}
      {p && action?.kind === 'rollback' && (
        <RollbackDialog
          pipelineId={p.id}
          stage={action.stage}
          cell={action.cell}
          tag={action.tag}
          onClose={close}
          onRequested={(promotion) => {
            close();
            setNote({
              text: `Rollback of ${promotion.repository}:${promotion.tag} in ${promotion.to.stage} requested.`,
              promotionId: promotion.id,
            });
            reload();
          }}
        />
      )}
      {p && action?.kind === 'release' && (
        <ReleaseDialog
          pipelineId={p.id}
          stage={action.stage}
          cell={action.cell}
          onClose={close}
          onReleased={() => {
            close();
            setNote({
              text: `Auto-promotion into ${action.stage} resumed for ${action.cell.repository}.`,
            });
            reload();
          }}
        />
      )}
      {p && action?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete pipeline ${p.name}?`}
          confirmLabel="Delete pipeline"
          danger
          onClose={close}
          onConfirm={async () => {
            await api(`/api/v1/pipelines/${p.id}`, { method: 'DELETE' });
            navigate('/pipelines');
          }}
        >
          <p>
            Its stages and its whole promotion history go with it; the API refuses while promotions
            are open. Nothing is deleted from any registry.
          </p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

/** The history's repository filter: applied on Enter or with its button, not per keystroke. */
function RepositoryFilter({ value, onApply }: { value: string; onApply: (v: string) => void }) {
  const [text, setText] = useState(value);
  return (
    <form
      class="field inline-filter"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(text.trim());
      }}
    >
      <label for="history-repository">Repository</label>
      <span class="inline-row">
        <input
          id="history-repository"
          value={text}
          placeholder="team/app"
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="button">
          Filter
        </button>
      </span>
    </form>
  );
}
