import { api } from '../api/client';
import type { Policy, Registry, TriggerType } from '../api/types';
import { EditPage } from '../components/edit-page';
import { CheckField, SelectField, TextField } from '../components/field';
import {
  FilterFields,
  filterDraftOf,
  filtersOf,
  type FilterDraft,
} from '../components/filter-fields';
import { fieldReasons, FormErrors } from '../components/form-errors';
import { useFormSave } from '../hooks/use-form-save';
import { Link } from '../router';
import { SelectionPreview } from './policy-preview';
import { registryOptions, useDraft } from '../hooks/use-draft';

interface Draft extends FilterDraft {
  name: string;
  sourceRegistryId: string;
  destinations: { registryId: string; namespace: string }[];
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
    ...filterDraftOf(p?.filters),
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
  return (
    <EditPage<Policy> id={id} noun="policy" path="/api/v1/policies" name="policy-form">
      {(registries, policy) => <PolicyForm policy={policy} registries={registries} />}
    </EditPage>
  );
}

function PolicyForm({ policy, registries }: { policy?: Policy; registries: Registry[] }) {
  const { draft, setDraft, set } = useDraft(() => draftOf(policy));
  const { error, busy, save } = useFormSave<Policy>((saved) => `/policies/${saved.id}`);
  const { at, under } = fieldReasons(error);
  const options = registryOptions(registries);

  const setDestination = (i: number, change: Partial<Draft['destinations'][number]>) =>
    setDraft((d) => ({
      ...d,
      destinations: d.destinations.map((x, j) => (j === i ? { ...x, ...change } : x)),
    }));

  const submit = (event: Event) => {
    event.preventDefault();
    return save(() =>
      api<Policy>(policy ? `/api/v1/policies/${policy.id}` : '/api/v1/policies', {
        method: policy ? 'PATCH' : 'POST',
        json: bodyOf(draft, policy !== undefined),
      }),
    );
  };

  return (
    <div class="two-col">
      <form class="form card" onSubmit={(e) => void submit(e)} noValidate>
        <FormErrors error={error} what="policy" />
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
        <FilterFields draft={draft} onChange={(key, v) => set(key)(v)} reasons={under} />
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
