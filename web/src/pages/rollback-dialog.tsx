import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Promotion, RepositoryState } from '../api/pipeline-types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { SelectField, TextField } from '../components/field';
import { fieldReasons } from '../components/form-errors';
import { Digest } from '../components/digest';
import { formatAbsolute } from '../format';

/**
 * Re-points a stage's tag to an earlier digest promoted there (by default the one
 * before the current). Recorded as a promotion; holds auto-promotion into the stage
 * for the repository until released.
 */
export function RollbackDialog({
  pipelineId,
  stage,
  cell,
  tag,
  onClose,
  onRequested,
}: {
  pipelineId: string;
  stage: string;
  cell: RepositoryState;
  tag: string;
  onClose: () => void;
  onRequested: (p: Promotion) => void;
}) {
  const current = cell.tags.find((t) => t.tag === tag)?.digest;
  const earlier = cell.digests
    .filter((d) => (d.how === 'promotion' || d.how === 'rollback') && d.digest !== current)
    .reverse();
  const [digest, setDigest] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const { at } = fieldReasons(error);
  return (
    <ConfirmDialog
      title={`Roll back ${cell.repository}:${tag} in ${stage}?`}
      confirmLabel="Roll back"
      danger
      onClose={onClose}
      onConfirm={async () => {
        setError(undefined);
        try {
          const p = await api<Promotion>(`/api/v1/pipelines/${pipelineId}/rollback`, {
            method: 'POST',
            json: {
              stage,
              repository: cell.repository,
              tag,
              ...(digest ? { digest } : {}),
              ...(reason.trim() ? { reason: reason.trim() } : {}),
            },
          });
          onRequested(p);
        } catch (e) {
          setError(e);
          throw e;
        }
      }}
    >
      <p>
        The tag now points at <Digest value={current} />. It is re-pointed within the stage (the
        digest is there already), and auto-promotion into {stage} is held for {cell.repository}{' '}
        until released.
      </p>
      <SelectField
        label="Back to"
        value={digest}
        onChange={setDigest}
        options={[
          { value: '', label: 'the digest promoted at this tag before the current one' },
          ...earlier.map((d) => ({
            value: d.digest,
            label: `${d.digest.slice(0, 19)}… (${d.how}, ${formatAbsolute(d.since)})`,
          })),
        ]}
        errors={at('digest')}
      />
      <TextField label="Reason" value={reason} onInput={setReason} errors={at('reason')} />
    </ConfirmDialog>
  );
}

/** Lets auto-promotion into a stage go on again for a repository after a rollback. */
export function ReleaseDialog({
  pipelineId,
  stage,
  cell,
  onClose,
  onReleased,
}: {
  pipelineId: string;
  stage: string;
  cell: RepositoryState;
  onClose: () => void;
  onReleased: () => void;
}) {
  return (
    <ConfirmDialog
      title={`Release the hold on ${stage} for ${cell.repository}?`}
      confirmLabel="Release"
      onClose={onClose}
      onConfirm={async () => {
        await api(`/api/v1/pipelines/${pipelineId}/release`, {
          method: 'POST',
          json: { stage, repository: cell.repository },
        });
        onReleased();
      }}
    >
      <p>
        Auto-promotion into {stage} resumes for digests that arrive from now on
        {cell.hold && <> (held by {cell.hold.heldBy} since the rollback)</>}. Nothing is copied by
        releasing.
      </p>
    </ConfirmDialog>
  );
}
