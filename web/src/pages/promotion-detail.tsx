import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { registryNames } from '../api/lookups';
import { isOpen, type Place, type Promotion } from '../api/pipeline-types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { TextField } from '../components/field';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { formatBytes, formatCount, formatDuration } from '../format';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { useVisibleInterval } from '../hooks/use-visible-interval';
import { Link } from '../router';
import { GateTable } from './gate-table';

/** Promotions have no event stream: asked again this often while open, or while leaves wait. */
const OPEN_POLL_MS = 2_000;
const LEAVES_POLL_MS = 5_000;

/** "1.2 s after it reached hq", or that the tree was quicker than the promotion's end. */
function afterEnd(arrivedAt: string, endedAt: string, stage: string): string {
  const ms = Date.parse(arrivedAt) - Date.parse(endedAt);
  return ms >= 0
    ? `${formatDuration(ms)} after it reached ${stage}`
    : `before the promotion into ${stage} had ended`;
}

const place = (p: Place) =>
  `${p.stage} (${p.registry ?? p.registryId.slice(0, 8)}, ${p.repository})`;

/**
 * One promotion: where it stands in words, every gate with its reason and evidence,
 * the decisions, approve and reject, and — into a stage that roots a tree — when the
 * digest reached each leaf.
 */
export function PromotionDetailPage({ id }: { id: string }) {
  const canWrite = useCanWrite();
  const promotion = useResource(
    (signal) => api<Promotion>(`/api/v1/promotions/${id}`, { signal }),
    [id],
  );
  const p = promotion.data;
  const leavesPending = p?.status === 'succeeded' && p.leaves.some((l) => !l.arrivedAt);
  const open = p ? isOpen(p) : false;
  useVisibleInterval(promotion.reload, open ? OPEN_POLL_MS : LEAVES_POLL_MS, open || leavesPending);
  const names = useResource(
    (signal) => (p?.leaves.length ? registryNames(signal) : Promise.resolve(undefined)),
    [p?.leaves.length ?? 0],
  );
  const [deciding, setDeciding] = useState<'approve' | 'reject'>();
  const hasApproval = p?.gates.some((g) => g.type === 'approval' && g.status === 'pending');

  return (
    <Page
      title={`Promotion ${id.slice(0, 8)}`}
      name="promotion"
      ready={p !== undefined}
      subtitle={p && <StatusBadge status={p.status} />}
      actions={
        canWrite &&
        p && (
          <>
            {p.status === 'waiting' && hasApproval && (
              <button type="button" class="button primary" onClick={() => setDeciding('approve')}>
                Approve
              </button>
            )}
            {(p.status === 'waiting' || p.status === 'queued') && (
              <button type="button" class="button danger" onClick={() => setDeciding('reject')}>
                Reject
              </button>
            )}
          </>
        )
      }
    >
      {promotion.error !== undefined && <ErrorNotice error={promotion.error} />}
      {!p && promotion.loading && <Loading />}
      {p && (
        <>
          <p class={`promotion-message status-${p.status}`} data-testid="promotion-message">
            {p.message}
          </p>
          <section class="card">
            <dl class="facts">
              <dt>Pipeline</dt>
              <dd>
                <Link href={`/pipelines/${p.pipelineId}`}>{p.pipeline}</Link>
                {p.kind !== 'promote' && <span class="tag">{p.kind}</span>}
              </dd>
              <dt>Digest</dt>
              <dd>
                <code class="wrap-code">{p.digest}</code>
              </dd>
              <dt>Tag</dt>
              <dd>
                {p.tag ?? <span class="muted">none: by digest</span>}
                {p.requestedTag && p.requestedTag !== p.tag && (
                  <span class="muted"> (asked for as {p.requestedTag})</span>
                )}
              </dd>
              <dt>From</dt>
              <dd>{place(p.from)}</dd>
              <dt>Into</dt>
              <dd>{place(p.to)}</dd>
              {p.previousDigest && (
                <>
                  <dt>Replaces</dt>
                  <dd>
                    <code class="wrap-code">{p.previousDigest}</code>
                  </dd>
                </>
              )}
              <dt>Asked by</dt>
              <dd>
                {p.requestedBy} <When iso={p.createdAt} inline />
                {p.reason && <span class="block">“{p.reason}”</span>}
              </dd>
              {p.forced && (
                <>
                  <dt>Forced</dt>
                  <dd class="text-bad">{p.forceReason ?? 'yes'}</dd>
                </>
              )}
              <dt>Queued</dt>
              <dd>
                <When iso={p.queuedAt} inline />
              </dd>
              <dt>Copy</dt>
              <dd>
                {p.executionId ? (
                  <Link href={`/executions/${p.executionId}`}>
                    Execution {p.executionId.slice(0, 8)}
                  </Link>
                ) : (
                  <span class="muted">not started</span>
                )}
                {p.bytesMoved > 0 && <> · {formatBytes(p.bytesMoved)} sent</>}
                {p.startedAt && (
                  <span class="block small">
                    started <When iso={p.startedAt} inline />
                  </span>
                )}
              </dd>
              <dt>Ended</dt>
              <dd>
                <When iso={p.endedAt} inline />
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="gates-title">
            <h2 id="gates-title">Gates</h2>
            <GateTable gates={p.gates} evidence ended={!open} />
          </section>
          {(p.decisions.length > 0 || p.gates.some((g) => g.type === 'approval')) && (
            <section class="card" aria-labelledby="decisions-title">
              <h2 id="decisions-title">Decisions</h2>
              {p.decisions.length === 0 ? (
                <p class="muted">No approvals or rejections yet.</p>
              ) : (
                <ul class="plain-list decisions">
                  {p.decisions.map((d, i) => (
                    <li key={i} data-decision={d.decision}>
                      <strong>{d.name}</strong> ({d.role}){' '}
                      <span class={d.decision === 'approve' ? 'text-good' : 'text-bad'}>
                        {d.decision === 'approve' ? 'approved' : 'rejected'}
                      </span>{' '}
                      <When iso={d.at} inline />
                      {d.comment && <p class="reason">“{d.comment}”</p>}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
          {p.leaves.length > 0 && (
            <section class="card" aria-labelledby="leaves-title">
              <h2 id="leaves-title">
                Leaves of the tree below {p.to.stage} (
                {formatCount(p.leaves.filter((l) => l.arrivedAt).length)} of{' '}
                {formatCount(p.leaves.length)} reached)
              </h2>
              <div class="table-wrap">
                <table class="table compact">
                  <thead>
                    <tr>
                      <th scope="col">Registry</th>
                      <th scope="col">Repository</th>
                      <th scope="col">Arrived</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.leaves.map((l) => (
                      <tr
                        key={l.registryId + l.repository}
                        data-leaf={names.data?.get(l.registryId) ?? l.registryId}
                      >
                        <th scope="row">
                          {names.data?.get(l.registryId) ?? l.registryId.slice(0, 8)}
                        </th>
                        <td class="mono wrap">{l.repository}</td>
                        <td>
                          {l.arrivedAt ? (
                            <>
                              <When iso={l.arrivedAt} />
                              {p.endedAt && (
                                <span class="block small muted">
                                  {afterEnd(l.arrivedAt, p.endedAt, p.to.stage)}
                                </span>
                              )}
                            </>
                          ) : (
                            <span class="muted">not yet</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          )}
        </>
      )}
      {deciding && p && (
        <DecisionDialog
          promotion={p}
          decision={deciding}
          onClose={() => setDeciding(undefined)}
          onDecided={() => {
            setDeciding(undefined);
            promotion.reload();
          }}
        />
      )}
    </Page>
  );
}

function DecisionDialog({
  promotion: p,
  decision,
  onClose,
  onDecided,
}: {
  promotion: Promotion;
  decision: 'approve' | 'reject';
  onClose: () => void;
  onDecided: () => void;
}) {
  const [comment, setComment] = useState('');
  const approve = decision === 'approve';
  return (
    <ConfirmDialog
      title={`${approve ? 'Approve' : 'Reject'} promoting ${p.repository}${p.tag ? `:${p.tag}` : ''} into ${p.to.stage}?`}
      confirmLabel={approve ? 'Approve' : 'Reject'}
      danger={!approve}
      onClose={onClose}
      onConfirm={async () => {
        await api(`/api/v1/promotions/${p.id}/${decision}`, {
          method: 'POST',
          json: comment.trim() ? { comment: comment.trim() } : {},
        });
        onDecided();
      }}
    >
      <p>
        {approve
          ? 'Your approval counts toward the approval gate: one per token, never the requester’s.'
          : 'The promotion is refused, with your comment. Promoting the digest again is a new request.'}
      </p>
      <p>
        Digest <code class="wrap-code">{p.digest}</code>
      </p>
      <TextField label="Comment" value={comment} onInput={setComment} rows={3} />
    </ConfirmDialog>
  );
}
