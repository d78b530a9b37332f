import { api } from '../api/client';
import type { Registry } from '../api/types';
import {
  CONFLICT_RULES,
  type ConflictRule,
  type Topology,
  type TopologyKind,
} from '../api/topology-types';
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
import { registryOptions, useDraft } from '../hooks/use-draft';

interface Draft extends FilterDraft {
  name: string;
  kind: TopologyKind;
  root: string;
  /** Nodes below the root, in order. */
  nodes: { registryId: string; parent: string; namespace: string }[];
  first: string;
  second: string;
  conflict: ConflictRule;
  deletion: boolean;
  override: boolean;
  enabled: boolean;
  reconcileCron: string;
}

function draftOf(t: Topology | undefined): Draft {
  const root = t?.kind === 'tree' ? t.nodes.find((n) => n.parent === null) : undefined;
  return {
    name: t?.name ?? '',
    kind: t?.kind ?? 'tree',
    root: root?.registryId ?? '',
    nodes:
      t?.kind === 'tree'
        ? t.nodes
            .filter((n) => n.parent !== null)
            .map((n) => ({
              registryId: n.registryId,
              parent: n.parent!,
              namespace: n.namespace ?? '',
            }))
        : [{ registryId: '', parent: '', namespace: '' }],
    first: t?.registries?.[0] ?? '',
    second: t?.registries?.[1] ?? '',
    conflict: t?.conflict ?? 'hold',
    deletion: t?.deletion ?? false,
    override: t?.override ?? false,
    enabled: t?.enabled ?? true,
    reconcileCron: t ? (t.reconcile.cron ?? '') : '0 * * * *',
    ...filterDraftOf(t?.filters),
  };
}

function bodyOf(d: Draft, editing: boolean): Record<string, unknown> {
  const shape =
    d.kind === 'tree'
      ? {
          nodes: [
            { registryId: d.root, parent: null },
            ...d.nodes.map((n) => ({
              registryId: n.registryId,
              parent: n.parent,
              ...(n.namespace.trim() ? { namespace: n.namespace.trim() } : {}),
            })),
          ],
          override: d.override,
        }
      : { registries: [d.first, d.second], conflict: d.conflict };
  return {
    name: d.name,
    ...(editing ? {} : { kind: d.kind }),
    ...shape,
    filters: filtersOf(d),
    deletion: d.deletion,
    enabled: d.enabled,
    reconcile: { cron: d.reconcileCron.trim() || null },
  };
}

const RULE_LABELS: Record<ConflictRule, string> = {
  hold: 'hold: a person decides',
  'prefer-first': 'prefer the first registry',
  'prefer-second': 'prefer the second registry',
  newest: 'the newest push wins',
};

/** /topologies/new and /topologies/:id/edit */
export function TopologyEditPage({ id }: { id?: string }) {
  return (
    <EditPage<Topology> id={id} noun="topology" path="/api/v1/topologies" name="topology-form">
      {(registries, topology) => <TopologyForm topology={topology} registries={registries} />}
    </EditPage>
  );
}

function TopologyForm({ topology, registries }: { topology?: Topology; registries: Registry[] }) {
  const { draft, setDraft, set } = useDraft(() => draftOf(topology));
  const { error, busy, save } = useFormSave<Topology>((saved) => `/topologies/${saved.id}`);
  const { at, under } = fieldReasons(error);
  const name = (id: string) => registries.find((r) => r.id === id)?.name ?? id.slice(0, 8);
  const options = registryOptions(registries);
  const setNode = (i: number, change: Partial<Draft['nodes'][number]>) =>
    setDraft((d) => ({ ...d, nodes: d.nodes.map((x, j) => (j === i ? { ...x, ...change } : x)) }));
  // A node's parent is the root or another node of the tree.
  const parentOptions = (self: string) => [
    { value: '', label: 'Choose its parent…' },
    ...[draft.root, ...draft.nodes.map((n) => n.registryId)]
      .filter((r) => r && r !== self)
      .map((r) => ({ value: r, label: name(r) })),
  ];

  const submit = (event: Event) => {
    event.preventDefault();
    return save(() =>
      api<Topology>(topology ? `/api/v1/topologies/${topology.id}` : '/api/v1/topologies', {
        method: topology ? 'PATCH' : 'POST',
        json: bodyOf(draft, topology !== undefined),
      }),
    );
  };

  return (
    <form class="form card narrow-form" onSubmit={(e) => void submit(e)} noValidate>
      <FormErrors error={error} what="topology" />
      <div class="form-grid">
        <TextField
          label="Name"
          name="name"
          value={draft.name}
          onInput={set('name')}
          errors={at('name')}
          hint="Lowercase letters, digits, . _ -"
        />
        <SelectField
          label="Kind"
          value={draft.kind}
          onChange={(v) => set('kind')(v as TopologyKind)}
          options={
            topology
              ? [{ value: draft.kind, label: draft.kind === 'tree' ? 'tree' : 'dual-master pair' }]
              : [
                  { value: 'tree', label: 'tree: root → … → leaves' },
                  { value: 'dual-master', label: 'dual-master pair: two writable registries' },
                ]
          }
          errors={at('kind')}
          hint={topology ? 'A topology keeps its kind.' : undefined}
        />
      </div>
      {draft.kind === 'tree' ? (
        <fieldset class="fieldset">
          <legend>Nodes</legend>
          {at('nodes').length > 0 && <p class="field-error">{at('nodes').join('; ')}</p>}
          <SelectField
            label="Root"
            value={draft.root}
            onChange={(root) =>
              // Nodes under the old root move under the new one.
              setDraft((d) => ({
                ...d,
                root,
                nodes: d.nodes.map((n) => (n.parent === d.root ? { ...n, parent: root } : n)),
              }))
            }
            options={options}
            errors={under('nodes[0]')}
            hint="Pushes arrive here (its webhooks go to regrelay); everything below follows."
          />
          {draft.nodes.map((n, i) => (
            <div class="destination" key={i}>
              <div class="form-grid">
                <SelectField
                  label={`Node ${i + 1}`}
                  value={n.registryId}
                  onChange={(v) => setNode(i, { registryId: v })}
                  options={options}
                  errors={under(`nodes[${i + 1}].registryId`).concat(at(`nodes[${i + 1}]`))}
                />
                <SelectField
                  label={`Parent of node ${i + 1}`}
                  value={n.parent}
                  onChange={(v) => setNode(i, { parent: v })}
                  options={parentOptions(n.registryId)}
                  errors={under(`nodes[${i + 1}].parent`)}
                />
                <TextField
                  label={`Namespace of node ${i + 1}`}
                  value={n.namespace}
                  onInput={(v) => setNode(i, { namespace: v })}
                  errors={under(`nodes[${i + 1}].namespace`)}
                  hint="Optional: mirror puts library/app at mirror/library/app."
                />
              </div>
              {draft.nodes.length > 1 && (
                <button
                  type="button"
                  class="button small"
                  onClick={() =>
                    setDraft((d) => ({ ...d, nodes: d.nodes.filter((_, j) => j !== i) }))
                  }
                >
                  Remove node {i + 1}
                </button>
              )}
            </div>
          ))}
          <button
            type="button"
            class="button small"
            onClick={() =>
              setDraft((d) => ({
                ...d,
                nodes: [...d.nodes, { registryId: '', parent: d.root, namespace: '' }],
              }))
            }
          >
            Add node
          </button>
        </fieldset>
      ) : (
        <fieldset class="fieldset">
          <legend>The two sides</legend>
          {at('registries').length > 0 && <p class="field-error">{at('registries').join('; ')}</p>}
          <div class="form-grid">
            <SelectField
              label="First registry"
              value={draft.first}
              onChange={set('first')}
              options={options}
              errors={at('registries[0]')}
            />
            <SelectField
              label="Second registry"
              value={draft.second}
              onChange={set('second')}
              options={options}
              errors={at('registries[1]')}
            />
            <SelectField
              label="When a tag changes differently on both sides"
              value={draft.conflict}
              onChange={(v) => set('conflict')(v as ConflictRule)}
              options={CONFLICT_RULES.map((r) => ({ value: r, label: RULE_LABELS[r] }))}
              errors={at('conflict')}
            />
          </div>
        </fieldset>
      )}
      <FilterFields draft={draft} onChange={(key, v) => set(key)(v)} reasons={under} />
      <fieldset class="fieldset">
        <legend>Behaviour</legend>
        <TextField
          label="Sync (cron, UTC)"
          name="reconcileCron"
          value={draft.reconcileCron}
          onInput={set('reconcileCron')}
          errors={under('reconcile.cron')}
          hint="Compare every node and repair; empty: only when asked."
        />
        <CheckField
          label="Enabled"
          checked={draft.enabled}
          onChange={set('enabled')}
          errors={at('enabled')}
        />
        <CheckField
          label="Deletions follow (guarded)"
          checked={draft.deletion}
          onChange={set('deletion')}
          errors={at('deletion')}
          hint="Only tags this topology wrote, only where they are unchanged."
        />
        {draft.kind === 'tree' && (
          <CheckField
            label="Override: replace a node's tag that points elsewhere"
            checked={draft.override}
            onChange={set('override')}
            errors={at('override')}
          />
        )}
      </fieldset>
      <div class="form-actions">
        <Link href={topology ? `/topologies/${topology.id}` : '/topologies'} class="button">
          Cancel
        </Link>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Saving…' : topology ? 'Save topology' : 'Create topology'}
        </button>
      </div>
    </form>
  );
}
