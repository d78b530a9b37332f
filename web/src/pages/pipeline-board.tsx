import { gateText } from '../api/gate-words';
import type { Pipeline, PipelineState, RepositoryState } from '../api/pipeline-types';
import { Digest } from '../components/digest';
import { When } from '../components/time';
import { formatCount } from '../format';
import type { PromoteRequest } from './promote-dialog';

export type BoardAction =
  | { kind: 'promote'; request: PromoteRequest }
  | { kind: 'rollback'; stage: string; cell: RepositoryState; tag: string }
  | { kind: 'release'; stage: string; cell: RepositoryState };

const HOW: Record<string, string> = {
  promotion: 'promoted',
  rollback: 'rolled back to',
  event: 'pushed',
  observed: 'seen',
};

/** "Promote to <next stage>" at a tag or a digest of a cell. */
function PromoteTo({ request, act }: { request: PromoteRequest; act: (a: BoardAction) => void }) {
  return (
    <button type="button" class="button small" onClick={() => act({ kind: 'promote', request })}>
      Promote to {request.toStage}
    </button>
  );
}

/** What one repository holds in one stage: its tags, other digests known there, a hold. */
function Cell({
  cell,
  stage,
  next,
  canWrite,
  act,
}: {
  cell: RepositoryState | undefined;
  stage: string;
  next: string | undefined;
  canWrite: boolean;
  act: (a: BoardAction) => void;
}) {
  if (!cell) return <span class="muted">—</span>;
  const tagged = new Set(cell.tags.map((t) => t.digest));
  const untagged = cell.digests.filter((d) => !tagged.has(d.digest)).reverse();
  const hiddenTags = (cell.tagCount ?? cell.tags.length) - cell.tags.length;
  const hidden = (cell.digestCount ?? cell.digests.length) - cell.digests.length;
  return (
    <div class="cell">
      {cell.hold && (
        <div class="hold">
          <span class="text-bad">Auto-promotion held</span> by {cell.hold.heldBy}{' '}
          <When iso={cell.hold.heldAt} inline />
          {canWrite && (
            <button
              type="button"
              class="button small"
              onClick={() => act({ kind: 'release', stage, cell })}
            >
              Release
            </button>
          )}
        </div>
      )}
      {cell.tags.length > 0 && (
        <ul class="cell-list">
          {cell.tags.map((t) => (
            <li key={t.tag} data-tag={t.tag}>
              <span class="tag-name">{t.tag}</span> <Digest value={t.digest} />
              <span class="block small muted">
                promoted <When iso={t.promotedAt} inline />
              </span>
              {canWrite && (
                <span class="cell-actions">
                  {next && (
                    <PromoteTo
                      request={{ repository: cell.repository, tag: t.tag, toStage: next }}
                      act={act}
                    />
                  )}
                  <button
                    type="button"
                    class="button small"
                    onClick={() => act({ kind: 'rollback', stage, cell, tag: t.tag })}
                  >
                    Roll back
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {hiddenTags > 0 && (
        <p class="small muted" data-hidden-tags={hiddenTags}>
          and {formatCount(hiddenTags)} older {hiddenTags === 1 ? 'tag' : 'tags'}
        </p>
      )}
      {untagged.length > 0 && (
        <ul class="cell-list">
          {untagged.map((d) => (
            <li key={d.digest} data-digest-state={d.digest}>
              <Digest value={d.digest} />
              <span class="block small muted">
                {HOW[d.how] ?? d.how} <When iso={d.since} inline />
              </span>
              {canWrite && next && (
                <PromoteTo
                  request={{ repository: cell.repository, digest: d.digest, toStage: next }}
                  act={act}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {hidden > 0 && (
        <p class="small muted">
          and {formatCount(hidden)} older {hidden === 1 ? 'digest' : 'digests'}
        </p>
      )}
    </div>
  );
}

/**
 * Stages as columns, repositories as rows: each cell the tags a promotion wrote there
 * (with their digests) and the other digests known in the stage.
 */
export function PipelineBoard({
  pipeline,
  state,
  canWrite,
  act,
}: {
  pipeline: Pipeline;
  state: PipelineState;
  canWrite: boolean;
  act: (a: BoardAction) => void;
}) {
  const stages = pipeline.stages;
  const byStage = new Map(
    state.stages.map((s) => [s.stage, new Map(s.repositories.map((r) => [r.repository, r]))]),
  );
  const repositories = [
    ...new Set(state.stages.flatMap((s) => s.repositories.map((r) => r.repository))),
  ];
  return (
    <div class="table-wrap board-wrap">
      <table class="table board">
        <thead>
          <tr>
            <th scope="col">Repository</th>
            {stages.map((s, i) => (
              <th scope="col" key={s.id} data-stage={s.name}>
                <span class="stage-name">{s.name}</span>
                <span class="block small muted">
                  {s.registry ?? s.registryId.slice(0, 8)} · {s.repository}
                </span>
                <span class="block small stage-gates">
                  {i === 0
                    ? 'receives pushes'
                    : s.gates.length
                      ? `gates: ${s.gates.map(gateText).join('; ')}`
                      : 'no gates'}
                  {s.autoPromote && `; auto-promoted from ${stages[i - 1]?.name}`}
                  {s.immutableTags.length > 0 && `; immutable: ${s.immutableTags.join(', ')}`}
                </span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {repositories.map((repository) => (
            <tr key={repository} data-repository={repository}>
              <th scope="row" class="mono wrap">
                {repository}
              </th>
              {stages.map((s, i) => (
                <td key={s.id} data-stage={s.name}>
                  <Cell
                    cell={byStage.get(s.name)?.get(repository)}
                    stage={s.name}
                    next={stages[i + 1]?.name}
                    canWrite={canWrite}
                    act={act}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
