import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Page as ApiPage } from '../api/types';
import { resolutionText } from '../api/topology-words';
import type { Conflict } from '../api/topology-types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Digest } from '../components/digest';
import { ErrorNotice, Notice } from '../components/notice';
import { Pager } from '../components/pager';
import { When } from '../components/time';
import { formatCount } from '../format';
import { useResource } from '../hooks/use-resource';

const LIMIT = 20;

interface ConflictsProps {
  topologyId: string;
  /** The pair's first and second registry. */
  sides: string[];
  names: Map<string, string>;
  canWrite: boolean;
  /** Changes every time the page reloads what it shows. */
  refresh: number;
  onResolved: () => void;
}

/**
 * A pair's conflicts: those held for a person first, each with a button per side to
 * keep; then the settled ones with how they were settled. Both lists page on the server.
 */
export function PairConflicts({
  topologyId,
  sides,
  names,
  canWrite,
  refresh,
  onResolved,
}: ConflictsProps) {
  const [heldOffset, setHeldOffset] = useState(0);
  const [settledOffset, setSettledOffset] = useState(0);
  const [resolving, setResolving] = useState<{ conflict: Conflict; winner: string }>();
  const [note, setNote] = useState<string>();
  const list = (held: boolean, offset: number) => (signal: AbortSignal) =>
    api<ApiPage<Conflict>>(
      `/api/v1/topologies/${topologyId}/conflicts?held=${held}&limit=${LIMIT}&offset=${offset}`,
      { signal },
    );
  const held = useResource(list(true, heldOffset), [topologyId, heldOffset, refresh]);
  const settled = useResource(list(false, settledOffset), [topologyId, settledOffset, refresh]);
  const name = (id: string) => names.get(id) ?? id.slice(0, 8);

  return (
    <>
      <section class="card" aria-labelledby="held-title">
        <div class="card-head">
          <h2 id="held-title">
            Conflicts held for a person
            {held.data ? ` (${formatCount(held.data.total)})` : ''}
          </h2>
        </div>
        {note && <Notice>{note}</Notice>}
        {held.error !== undefined && <ErrorNotice error={held.error} />}
        {held.data?.items.length === 0 && <p class="muted">None: nothing waits for a decision.</p>}
        {held.data && held.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="table conflicts">
              <thead>
                <tr>
                  <th scope="col">Tag</th>
                  {sides.map((s) => (
                    <th scope="col" key={s}>
                      At {name(s)}
                    </th>
                  ))}
                  <th scope="col">Found</th>
                  {canWrite && <th scope="col">Keep</th>}
                </tr>
              </thead>
              <tbody>
                {held.data.items.map((c) => (
                  <tr key={c.id} data-conflict={`${c.repository}:${c.tag}`}>
                    <th scope="row" class="mono wrap">
                      {c.repository}:{c.tag}
                    </th>
                    {sides.map((s) => (
                      <td key={s}>
                        <Digest value={c.digests[s]} />
                      </td>
                    ))}
                    <td>
                      <When iso={c.detectedAt} />
                    </td>
                    {canWrite && (
                      <td class="row-actions">
                        {sides
                          .filter((s) => c.digests[s])
                          .map((s) => (
                            <button
                              type="button"
                              key={s}
                              class="button small"
                              onClick={() => setResolving({ conflict: c, winner: s })}
                            >
                              Keep {name(s)}'s
                            </button>
                          ))}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {held.data && (
          <Pager
            label="Held conflict pages"
            total={held.data.total}
            limit={LIMIT}
            offset={heldOffset}
            onPage={setHeldOffset}
          />
        )}
      </section>

      <section class="card" aria-labelledby="settled-title">
        <h2 id="settled-title">
          Settled conflicts{settled.data ? ` (${formatCount(settled.data.total)})` : ''}
        </h2>
        {settled.error !== undefined && <ErrorNotice error={settled.error} />}
        {settled.data?.items.length === 0 && <p class="muted">None yet.</p>}
        {settled.data && settled.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="table compact">
              <thead>
                <tr>
                  <th scope="col">Tag</th>
                  {sides.map((s) => (
                    <th scope="col" key={s} class="hide-sm">
                      Was at {name(s)}
                    </th>
                  ))}
                  <th scope="col">Settled</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {settled.data.items.map((c) => (
                  <tr key={c.id} data-settled={`${c.repository}:${c.tag}`}>
                    <th scope="row" class="mono wrap">
                      {c.repository}:{c.tag}
                    </th>
                    {sides.map((s) => (
                      <td key={s} class="hide-sm">
                        <Digest value={c.digests[s]} />
                      </td>
                    ))}
                    <td class="wrap">
                      {resolutionText(c, names)} <Digest value={c.resolvedDigest} />
                    </td>
                    <td>
                      <When iso={c.resolvedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {settled.data && (
          <Pager
            label="Settled conflict pages"
            total={settled.data.total}
            limit={LIMIT}
            offset={settledOffset}
            onPage={setSettledOffset}
          />
        )}
      </section>

      {resolving && (
        <ResolveDialog
          topologyId={topologyId}
          conflict={resolving.conflict}
          winner={resolving.winner}
          loser={sides.find((s) => s !== resolving.winner) ?? ''}
          name={name}
          onClose={() => setResolving(undefined)}
          onResolved={() => {
            const { conflict, winner } = resolving;
            setResolving(undefined);
            setNote(
              `${conflict.repository}:${conflict.tag} settled: ${name(winner)}'s digest is being copied to the other side.`,
            );
            onResolved();
          }}
        />
      )}
    </>
  );
}

function ResolveDialog(props: {
  topologyId: string;
  conflict: Conflict;
  winner: string;
  loser: string;
  name: (id: string) => string;
  onClose: () => void;
  onResolved: () => void;
}) {
  const { conflict: c, winner, loser, name } = props;
  const kept = c.digests[winner];
  const replaced = c.digests[loser];
  return (
    <ConfirmDialog
      title={`Keep ${name(winner)}'s ${c.repository}:${c.tag}?`}
      confirmLabel={`Keep ${name(winner)}'s digest`}
      onClose={props.onClose}
      onConfirm={async () => {
        await api(`/api/v1/topologies/${props.topologyId}/conflicts/${c.id}/resolve`, {
          method: 'POST',
          json: { registryId: winner },
        });
        props.onResolved();
      }}
    >
      <p>
        {name(winner)}'s digest wins and is copied to {name(loser)}:
      </p>
      <dl class="facts">
        <dt>Kept ({name(winner)})</dt>
        <dd>
          <code class="wrap-code">{kept}</code>
        </dd>
        <dt>Replaced ({name(loser)})</dt>
        <dd>
          {replaced ? (
            <code class="wrap-code">{replaced}</code>
          ) : (
            <span class="muted">nothing there</span>
          )}
        </dd>
      </dl>
      <p class="muted">
        If {name(loser)}'s tag has changed again since the conflict was found, the copy is skipped
        and the next comparison reports it.
      </p>
    </ConfirmDialog>
  );
}
