import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api/client';
import type { Filters, Policy, Registry, TriggerType } from '../api/types';
import { CheckField, SelectField, TextField } from '../components/field';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { useResource } from '../hooks/use-resource';
import { Link, navigate } from '../router';
import { SelectionPreview } from './policy-preview';

interface Draft {
  name: string;
  sourceRegistryId: string;
  destinations: { registryId: string; namespace: string }[];
  repositories: string;
  excludeRepositories: string;
  tags: string;
  excludeTags: string;
  triggerType: TriggerType;
  cron: string;
  reconcileCron: string;
  reconcileRepair: boolean;
  override: boolean;
  deletion: boolean;
  enabled: boolean;
  maxConcurrency: string;
  bandwidthLimit: string;
}

function draftOf(p: Policy | undefined): Draft {
  return {
    name: p?.name ?? '',
    sourceRegistryId: p?.sourceRegistryId ?? '',
    destinations: p?.destinations.map((d) => ({
      registryId: d.registryId,
      namespace: d.namespace ?? '',
    })) ?? [{ registryId: '', namespace: '' }],
    repositories: p?.filters.repositories.join('\n') ?? '**',
    excludeRepositories: p?.filters.excludeRepositories.join('\n') ?? '',
    tags: p?.filters.tags.join('\n') ?? '*',
    excludeTags: p?.filters.excludeTags.join('\n') ?? '',
    triggerType: p?.trigger.type ?? 'manual',
    cron: p?.trigger.cron ?? '',
    reconcileCron: p ? (p.reconcile.cron ?? '') : '0 * * * *',
    reconcileRepair: p?.reconcile.repair ?? false,
    override: p?.override ?? false,
    deletion: p?.deletion ?? false,
    enabled: p?.enabled ?? true,
    maxConcurrency: p?.maxConcurrency?.toString() ?? '',
    bandwidthLimit: p?.bandwidthLimit?.toString() ?? '',
  };
}

const FILTER_FIELDS = [
  ['repositories', 'Repositories'],
  ['excludeRepositories', 'Except repositories'],
  ['tags', 'Tags'],
  ['excludeTags', 'Except tags'],
] as const;

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

function filtersOf(d: Draft): Partial<Filters> {
  return {
    repositories: lines(d.repositories),
    excludeRepositories: lines(d.excludeRepositories),
    tags: lines(d.tags),
    excludeTags: lines(d.excludeTags),
  };
}

/** A number as the API wants it, or the text for the API to reject at its field. */
const numberOr = (text: string, empty: null | undefined) =>
  text.trim() === '' ? empty : /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;

function bodyOf(d: Draft, editing: boolean): Record<string, unknown> {
  const empty = editing ? null : undefined;
  const body: Record<string, unknown> = {
    name: d.name,
    sourceRegistryId: d.sourceRegistryId,
    destinations: d.destinations.map((x) => ({
      registryId: x.registryId,
      ...(x.namespace.trim() ? { namespace: x.namespace.trim() } : {}),
    })),
    filters: filtersOf(d),
    trigger: d.triggerType === 'cron' ? { type: 'cron', cron: d.cron } : { type: d.triggerType },
    reconcile: { cron: d.reconcileCron.trim() || null, repair: d.reconcileRepair },
    override: d.override,
    deletion: d.deletion,
    enabled: d.enabled,
    maxConcurrency: numberOr(d.maxConcurrency, empty),
    bandwidthLimit: numberOr(d.bandwidthLimit, empty),
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}

/** /policies/new and /policies/:id/edit */
export function PolicyEditPage({ id }: { id?: string }) {
  const data = useResource(
    async (signal) => ({
      registries: await api<Registry[]>('/api/v1/registries', { signal }),
      policy: id ? await api<Policy>(`/api/v1/policies/${id}`, { signal }) : undefined,
    }),
    [id],
  );
  const title = id ? `Edit policy ${data.data?.policy?.name ?? ''}` : 'New policy';
  return (
    <Page title={title} name="policy-form" ready={data.data !== undefined}>
      {data.error !== undefined && <ErrorNotice error={data.error} />}
      {!data.data && data.loading && <Loading />}
      {data.data && <PolicyForm policy={data.data.policy} registries={data.data.registries} />}
    </Page>
  );
}

function PolicyForm({ policy, registries }: { policy?: Policy; registries: Registry[] }) {
  const [draft, setDraft] = useState(() => draftOf(policy));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const errors = error instanceof ApiError ? error.errors : [];
  const at = (field: string) => errors.filter((e) => e.field === field).map((e) => e.reason);
  const under = (field: string) => (error instanceof ApiError ? error.reasonsFor(field) : []);
  const options = [
    { value: '', label: 'Choose a registry…' },
    ...registries.map((r) => ({ value: r.id, label: `${r.name} (${r.url})` })),
  ];

  const setDestination = (i: number, change: Partial<Draft['destinations'][number]>) =>
    setDraft((d) => ({
      ...d,
      destinations: d.destinations.map((x, j) => (j === i ? { ...x, ...change } : x)),
    }));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const saved = await api<Policy>(
        policy ? `/api/v1/policies/${policy.id}` : '/api/v1/policies',
        {
          method: policy ? 'PATCH' : 'POST',
          json: bodyOf(draft, policy !== undefined),
        },
      );
      navigate(`/policies/${saved.id}`);
    } catch (e) {
      setError(e);
      setBusy(false);
      document.querySelector<HTMLElement>('.form-errors')?.focus();
    }
  };

  return (
    <div class="two-col">
      <form class="form card" onSubmit={(e) => void submit(e)} noValidate>
        {error !== undefined && (
          <div class="notice error form-errors" role="alert" tabIndex={-1}>
            {errors.length ? (
              <>
                <p>The policy was not saved:</p>
                <ul>
                  {errors.map((e) => (
                    <li key={e.field + e.reason}>
                      <code>{e.field}</code>: {e.reason}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              errorText(error)
            )}
          </div>
        )}
        <TextField
          label="Name"
          name="name"
          value={draft.name}
          onInput={set('name')}
          errors={at('name')}
          hint="Lowercase letters, digits, . _ -"
        />
        <SelectField
          label="Source registry"
          name="sourceRegistryId"
          value={draft.sourceRegistryId}
          onChange={set('sourceRegistryId')}
          options={options}
          errors={at('sourceRegistryId')}
        />
        <fieldset class="fieldset">
          <legend>Destinations</legend>
          {at('destinations').length > 0 && (
            <p class="field-error">{at('destinations').join('; ')}</p>
          )}
          {draft.destinations.map((d, i) => (
            <div class="destination" key={i}>
              <SelectField
                label={`Destination ${i + 1}`}
                value={d.registryId}
                onChange={(v) => setDestination(i, { registryId: v })}
                options={options}
                errors={under(`destinations[${i}].registryId`).concat(at(`destinations[${i}]`))}
              />
              <TextField
                label="Namespace"
                value={d.namespace}
                onInput={(v) => setDestination(i, { namespace: v })}
                errors={at(`destinations[${i}].namespace`)}
                hint="Optional prefix: mirror turns library/nginx into mirror/library/nginx."
              />
              {draft.destinations.length > 1 && (
                <button
                  type="button"
                  class="button small"
                  onClick={() =>
                    setDraft((x) => ({
                      ...x,
                      destinations: x.destinations.filter((_, j) => j !== i),
                    }))
                  }
                >
                  Remove destination {i + 1}
                </button>
              )}
            </div>
          ))}
          <button
            type="button"
            class="button small"
            onClick={() =>
              setDraft((x) => ({
                ...x,
                destinations: [...x.destinations, { registryId: '', namespace: '' }],
              }))
            }
          >
            Add destination
          </button>
        </fieldset>
        <fieldset class="fieldset">
          <legend>Filters</legend>
          <p class="hint">
            One pattern per line: globs (<code>*</code> within a path segment, <code>**</code>{' '}
            across, <code>?</code>, <code>{'{a,b}'}</code>) or <code>re:</code> followed by a
            regular expression anchored at both ends.
          </p>
          <div class="form-grid">
            {FILTER_FIELDS.map(([key, label]) => (
              <TextField
                key={key}
                label={label}
                name={key}
                value={draft[key]}
                onInput={set(key)}
                errors={under(`filters.${key}`)}
                rows={3}
              />
            ))}
          </div>
        </fieldset>
        <fieldset class="fieldset">
          <legend>When it runs</legend>
          <div class="form-grid">
            <SelectField
              label="Trigger"
              value={draft.triggerType}
              onChange={(v) => set('triggerType')(v as TriggerType)}
              options={[
                { value: 'manual', label: 'manual (Run now, API)' },
                { value: 'cron', label: 'cron schedule' },
                { value: 'event', label: 'on push (registry webhooks)' },
              ]}
              errors={under('trigger.type')}
            />
            {draft.triggerType === 'cron' && (
              <TextField
                label="Cron (UTC)"
                name="cron"
                value={draft.cron}
                onInput={set('cron')}
                errors={under('trigger.cron')}
                placeholder="*/15 * * * *"
              />
            )}
            <TextField
              label="Drift check (cron, UTC)"
              name="reconcileCron"
              value={draft.reconcileCron}
              onInput={set('reconcileCron')}
              errors={under('reconcile.cron')}
              hint="Empty: only when asked."
            />
            <CheckField
              label="Repair drift found by the check"
              checked={draft.reconcileRepair}
              onChange={set('reconcileRepair')}
              errors={under('reconcile.repair')}
            />
          </div>
        </fieldset>
        <fieldset class="fieldset">
          <legend>Behaviour</legend>
          <CheckField
            label="Enabled"
            checked={draft.enabled}
            onChange={set('enabled')}
            errors={at('enabled')}
          />
          <CheckField
            label="Override: replace a destination tag that points elsewhere"
            checked={draft.override}
            onChange={set('override')}
            errors={at('override')}
          />
          <CheckField
            label="Propagate deletions of tags this policy replicated"
            checked={draft.deletion}
            onChange={set('deletion')}
            errors={at('deletion')}
            hint="Guarded: a plan that deletes too much is held for confirmation."
          />
          <div class="form-grid">
            <TextField
              label="Most tasks at once"
              name="maxConcurrency"
              value={draft.maxConcurrency}
              onInput={set('maxConcurrency')}
              errors={at('maxConcurrency')}
            />
            <TextField
              label="Bandwidth limit (bytes/s)"
              name="bandwidthLimit"
              value={draft.bandwidthLimit}
              onInput={set('bandwidthLimit')}
              errors={at('bandwidthLimit')}
            />
          </div>
        </fieldset>
        <div class="form-actions">
          <Link href={policy ? `/policies/${policy.id}` : '/policies'} class="button">
            Cancel
          </Link>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Saving…' : policy ? 'Save policy' : 'Create policy'}
          </button>
        </div>
      </form>
      <SelectionPreview sourceRegistryId={draft.sourceRegistryId} filters={filtersOf(draft)} />
    </div>
  );
}
