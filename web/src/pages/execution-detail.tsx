import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import { policyNames } from '../api/lookups';
import {
  isActive,
  TASK_STATUSES,
  type Execution,
  type Page as ApiPage,
  type Task,
} from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ExecutionProgress } from '../components/execution-progress';
import { ErrorNotice, Notice } from '../components/notice';
import { Owner } from '../components/owner';
import { Loading, Page } from '../components/page';
import { Pager } from '../components/pager';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { formatCount, formatDuration, formatRate } from '../format';
import { useExecutionEvents } from '../hooks/use-execution-events';
import { useRate } from '../hooks/use-rate';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { navigate, useLocation, withQuery } from '../router';
import { stopping, useStopping } from '../stopping';
import { HeldDeletionsDialog } from './held-deletions';
import { TaskTable } from './task-table';

const LIMIT = 50;

/** One execution, live: progress, rate, its tasks page by page, stop and held deletions. */
export function ExecutionDetailPage({ id }: { id: string }) {
  const canWrite = useCanWrite();
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const execution = useResource(
    (signal) => api<Execution>(`/api/v1/executions/${id}`, { signal }),
    [id],
  );
  const tasks = useResource(
    (signal) =>
      api<ApiPage<Task>>(
        withQuery(`/api/v1/executions/${id}/tasks`, { limit: LIMIT, offset, status }),
        { signal },
      ),
    [id, status, offset],
  );
  const policies = useResource((signal) => policyNames(signal), []);
  const [dialog, setDialog] = useState<'stop' | 'held'>();
  const [note, setNote] = useState<string>();
  const isStopping = useStopping();
  const e = execution.data;
  const active = e ? isActive(e) : false;

  useExecutionEvents(id, active, () => {
    execution.reload();
    tasks.reload();
  });
  useEffect(() => {
    if (e && !active) stopping.settle(e.id);
  }, [e, active]);
  const rate = useRate(e);

  const go = (change: Record<string, string | number | undefined>) =>
    navigate(withQuery(`/executions/${id}`, { status, offset, ...change }), { replace: true });
  const stopShown = isStopping(id) && active;
  return (
    <Page
      title={`Execution ${id.slice(0, 8)}`}
      name="execution"
      ready={e !== undefined}
      subtitle={e && <StatusBadge status={e.status} stopping={stopShown} />}
      actions={
        canWrite &&
        e && (
          <>
            {active && (
              <button
                type="button"
                class="button danger"
                disabled={stopShown}
                onClick={() => setDialog('stop')}
              >
                {stopShown ? 'Stopping…' : 'Stop'}
              </button>
            )}
            {e.counts.held > 0 && (
              <button type="button" class="button primary" onClick={() => setDialog('held')}>
                Confirm held deletions ({formatCount(e.counts.held)})
              </button>
            )}
          </>
        )
      }
    >
      {execution.error !== undefined && <ErrorNotice error={execution.error} />}
      {note && <Notice>{note}</Notice>}
      {!e && execution.loading && <Loading />}
      {e && (
        <section class="card">
          <dl class="facts">
            <dt>For</dt>
            <dd>
              <Owner execution={e} policies={policies.data} />
            </dd>
            <dt>Trigger</dt>
            <dd>{e.trigger}</dd>
            <dt>Created</dt>
            <dd>
              <When iso={e.createdAt} inline />
            </dd>
            <dt>Started</dt>
            <dd>
              <When iso={e.startedAt} inline />
            </dd>
            <dt>Ended</dt>
            <dd>
              <When iso={e.endedAt} inline />
              {e.startedAt && e.endedAt && (
                <> after {formatDuration(Date.parse(e.endedAt) - Date.parse(e.startedAt))}</>
              )}
            </dd>
            <dt>Progress</dt>
            <dd class="progress-cell wide" data-testid="execution-progress">
              <ExecutionProgress execution={e} />
              {active && rate !== undefined && <span class="rate">{formatRate(rate)}</span>}
            </dd>
            {e.message && (
              <>
                <dt>Message</dt>
                <dd class="message">{e.message}</dd>
              </>
            )}
          </dl>
        </section>
      )}
      {e && (
        <section aria-labelledby="tasks-title">
          <h2 id="tasks-title">Tasks</h2>
          <div class="tabs" role="group" aria-label="Show tasks by status">
            <button
              type="button"
              class={status === '' ? 'tab current' : 'tab'}
              aria-pressed={status === ''}
              onClick={() => go({ status: undefined, offset: 0 })}
            >
              all {formatCount(e.counts.total)}
            </button>
            {TASK_STATUSES.filter((s) => e.counts[s] > 0 || s === status).map((s) => (
              <button
                type="button"
                key={s}
                class={status === s ? 'tab current' : 'tab'}
                aria-pressed={status === s}
                onClick={() => go({ status: s, offset: 0 })}
              >
                {s} {formatCount(e.counts[s])}
              </button>
            ))}
          </div>
          {tasks.error !== undefined && <ErrorNotice error={tasks.error} />}
          {tasks.data && tasks.data.items.length === 0 && (
            <p class="empty">No tasks{status ? ` ${status}` : e.planned ? '' : ' yet'}.</p>
          )}
          {e.counts.inPlace > 0 && (status === '' || status === 'skipped') && (
            <p class="muted small" data-testid="in-place-note">
              {formatCount(e.counts.inPlace)} tags already in place are counted as skipped, not
              listed.
            </p>
          )}
          {tasks.data && tasks.data.items.length > 0 && <TaskTable tasks={tasks.data.items} />}
          {tasks.data && (
            <Pager
              label="Task pages"
              total={tasks.data.total}
              limit={LIMIT}
              offset={tasks.data.offset}
              onPage={(o) => go({ offset: o })}
            />
          )}
        </section>
      )}
      {dialog === 'stop' && e && (
        <ConfirmDialog
          title={`Stop execution ${e.id.slice(0, 8)}?`}
          confirmLabel="Stop execution"
          danger
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            stopping.add(e.id);
            try {
              await api(`/api/v1/executions/${e.id}/stop`, { method: 'POST' });
            } catch (error) {
              stopping.settle(e.id);
              throw error;
            }
            setDialog(undefined);
            execution.reload();
            tasks.reload();
          }}
        >
          <p>
            Waiting tasks are stopped at once; transfers in flight are aborted within a second or
            two, and nothing half-written is committed. Tasks that finished stay done.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'held' && e && (
        <HeldDeletionsDialog
          execution={e}
          onClose={() => setDialog(undefined)}
          onConfirmed={(result) => {
            setDialog(undefined);
            if (result.executionId !== e.id) {
              // Its message says which execution's deletions it runs.
              navigate(`/executions/${result.executionId}`);
            } else {
              setNote(`${formatCount(result.confirmed)} deletions confirmed; they run now.`);
              execution.reload();
              tasks.reload();
            }
          }}
        />
      )}
    </Page>
  );
}
