import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { DryRun, Pipeline, Promotion } from '../api/pipeline-types';
import { Dialog } from '../components/dialog';
import { CheckField, SelectField, TextField } from '../components/field';
import { fieldReasons, FormErrors } from '../components/form-errors';
import { formatBytes, formatCount } from '../format';
import { navigate } from '../router';
import { GateTable } from './gate-table';

export interface PromoteRequest {
  repository: string;
  /** Promote this digest; else `tag`, resolved in the previous stage. */
  digest?: string;
  tag?: string;
  toStage: string;
}

interface Draft {
  repository: string;
  by: 'tag' | 'digest';
  tag: string;
  digest: string;
  toStage: string;
  targetTag: string;
  reason: string;
  force: boolean;
  forceReason: string;
}

function bodyOf(d: Draft, dryRun: boolean): Record<string, unknown> {
  const optional = (value: string) => (value.trim() ? value.trim() : undefined);
  return {
    repository: d.repository.trim(),
    ...(d.by === 'digest' ? { digest: optional(d.digest) } : { tag: optional(d.tag) }),
    toStage: d.toStage,
    targetTag: optional(d.targetTag),
    reason: optional(d.reason),
    ...(d.force ? { force: true, forceReason: optional(d.forceReason) } : {}),
    dryRun,
  };
}

const OUTCOME: Record<DryRun['status'], string> = {
  'would-promote': 'Would promote now: every gate passes.',
  'would-wait': 'Would wait for its gates.',
  refused: 'Would be refused.',
};

/** What the dry run found: the digest, what the stage lacks, and every gate's reason. */
function DryRunResult({ run }: { run: DryRun }) {
  const p = run.plan;
  return (
    <section class={`dry-run outcome-${run.status}`} aria-live="polite" data-testid="dry-run">
      <h3>{OUTCOME[run.status]}</h3>
      <p class="reason">{run.message}</p>
      <dl class="facts">
        <dt>Digest</dt>
        <dd>
          <code class="wrap-code">{run.digest}</code>
          {run.tag && <span class="muted"> as tag {run.tag}</span>}
        </dd>
        <dt>From → into</dt>
        <dd>
          {run.from.stage} ({run.from.registry ?? '?'}, {run.from.repository}) → {run.to.stage} (
          {run.to.registry ?? '?'}, {run.to.repository})
        </dd>
        <dt>Would copy</dt>
        <dd data-testid="dry-run-plan">
          {p.retag
            ? 'Nothing but the tag: the stage already holds this digest (one manifest write).'
            : `${formatCount(p.manifests)} ${p.manifests === 1 ? 'manifest' : 'manifests'} and ${formatCount(p.blobs)} ${p.blobs === 1 ? 'blob' : 'blobs'} (${formatBytes(p.bytes)}) the stage lacks; ${formatCount(p.blobsPresent)} already there`}
          {p.referrers.length > 0 && (
            <span class="block">
              With {formatCount(p.referrers.length)}{' '}
              {p.referrers.length === 1 ? 'referrer' : 'referrers'}:{' '}
              {p.referrers.map((r) => r.artifactType ?? 'untyped').join(', ')}
            </span>
          )}
        </dd>
      </dl>
      <h3>Gates</h3>
      <GateTable gates={run.gates} />
    </section>
  );
}

/**
 * Promote a digest (or the digest a tag names now) into a stage: a dry run first,
 * which shows what would be copied and each gate's reason; then the promotion itself.
 * Admins may force a skip of stages that lack the digest, with a reason.
 */
export function PromoteDialog({
  pipeline,
  preset,
  repositories,
  isAdmin,
  onClose,
}: {
  pipeline: Pipeline;
  preset?: Partial<PromoteRequest>;
  repositories: string[];
  isAdmin: boolean;
  onClose: () => void;
}) {
  const targets = pipeline.stages.slice(1);
  const [draft, setDraft] = useState<Draft>(() => ({
    repository: preset?.repository ?? repositories[0] ?? '',
    by: preset?.digest ? 'digest' : 'tag',
    tag: preset?.tag ?? '',
    digest: preset?.digest ?? '',
    toStage: preset?.toStage ?? targets[0]?.name ?? '',
    targetTag: '',
    reason: '',
    force: false,
    forceReason: '',
  }));
  const [run, setRun] = useState<{ result: DryRun; for: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<'dry-run' | 'promote'>();
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const { at } = fieldReasons(error);
  const asked = JSON.stringify(bodyOf(draft, false));
  // The promotion is asked for exactly what the dry run looked at.
  const checked = run?.for === asked ? run.result : undefined;

  const send = async (dryRun: boolean) => {
    setBusy(dryRun ? 'dry-run' : 'promote');
    setError(undefined);
    try {
      const answer = await api<DryRun | Promotion>(`/api/v1/pipelines/${pipeline.id}/promotions`, {
        method: 'POST',
        json: bodyOf(draft, dryRun),
      });
      if (dryRun) setRun({ result: answer as DryRun, for: asked });
      else navigate(`/promotions/${(answer as Promotion).id}`);
    } catch (e) {
      setError(e);
      if (dryRun) setRun(undefined);
    } finally {
      setBusy(undefined);
    }
  };

  const listId = 'promote-repositories';
  return (
    <Dialog
      title={`Promote in ${pipeline.name}`}
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            class={checked ? 'button' : 'button primary'}
            disabled={busy !== undefined}
            onClick={() => void send(true)}
          >
            {busy === 'dry-run' ? 'Checking…' : 'Dry run'}
          </button>
          <button
            type="button"
            class="button primary"
            disabled={!checked || checked.status === 'refused' || busy !== undefined}
            onClick={() => void send(false)}
          >
            {busy === 'promote' ? 'Promoting…' : `Promote into ${draft.toStage}`}
          </button>
        </>
      }
    >
      <p class="muted small">
        A dry run first: it resolves the tag, asks the stage what it lacks and runs the gates, and
        records nothing. Promote is enabled once a dry run has checked exactly what you ask for.
      </p>
      <FormErrors error={error} what="promotion" />
      <div class="form-grid">
        <div class="field">
          <label for="promote-repository">Repository</label>
          <input
            id="promote-repository"
            list={listId}
            value={draft.repository}
            aria-invalid={at('repository').length > 0}
            onInput={(e) => set('repository')(e.currentTarget.value)}
          />
          <datalist id={listId}>
            {repositories.map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
          {at('repository').length > 0 && <p class="field-error">{at('repository').join('; ')}</p>}
        </div>
        <SelectField
          label="Into stage"
          value={draft.toStage}
          onChange={set('toStage')}
          options={targets.map((s, i) => ({
            value: s.name,
            label: `${s.name} (from ${pipeline.stages[i]!.name})`,
          }))}
          errors={at('toStage')}
        />
        <SelectField
          label="Promote"
          value={draft.by}
          onChange={(v) => set('by')(v as Draft['by'])}
          options={[
            { value: 'tag', label: 'the digest a tag names now' },
            { value: 'digest', label: 'a digest' },
          ]}
        />
        {draft.by === 'tag' ? (
          <TextField
            label="Tag"
            value={draft.tag}
            onInput={set('tag')}
            errors={at('tag')}
            hint="In the previous stage; resolved to its digest once, now."
          />
        ) : (
          <TextField
            label="Digest"
            value={draft.digest}
            onInput={set('digest')}
            errors={at('digest')}
            placeholder="sha256:…"
          />
        )}
        <TextField
          label="Write tag"
          value={draft.targetTag}
          onInput={set('targetTag')}
          errors={at('targetTag')}
          hint="Optional: the tag written in the stage (default: the same tag; a digest alone is copied by digest)."
        />
        <TextField
          label="Reason"
          value={draft.reason}
          onInput={set('reason')}
          errors={at('reason')}
        />
      </div>
      {isAdmin && (
        <div class="form-grid">
          <CheckField
            label="Force: skip stages that lack the digest (admin)"
            checked={draft.force}
            onChange={set('force')}
            errors={at('force')}
          />
          {draft.force && (
            <TextField
              label="Why force"
              value={draft.forceReason}
              onInput={set('forceReason')}
              errors={at('forceReason')}
              hint="Recorded with the promotion."
            />
          )}
        </div>
      )}
      {checked && <DryRunResult run={checked} />}
      {run && !checked && (
        <p class="muted">The fields changed since the dry run: run it again before promoting.</p>
      )}
    </Dialog>
  );
}
