import type { Filters } from '../api/types';
import { TextField } from './field';

export interface FilterDraft {
  repositories: string;
  excludeRepositories: string;
  tags: string;
  excludeTags: string;
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

export function filterDraftOf(f: Filters | undefined): FilterDraft {
  return {
    repositories: f?.repositories.join('\n') ?? '**',
    excludeRepositories: f?.excludeRepositories.join('\n') ?? '',
    tags: f?.tags.join('\n') ?? '*',
    excludeTags: f?.excludeTags.join('\n') ?? '',
  };
}

export function filtersOf(d: FilterDraft): Partial<Filters> {
  return {
    repositories: lines(d.repositories),
    excludeRepositories: lines(d.excludeRepositories),
    tags: lines(d.tags),
    excludeTags: lines(d.excludeTags),
  };
}

/** The four filter lists of a policy or a topology, one pattern a line, with the API's reasons. */
export function FilterFields({
  draft,
  onChange,
  reasons,
}: {
  draft: FilterDraft;
  onChange: (key: keyof FilterDraft, value: string) => void;
  reasons: (field: string) => string[];
}) {
  return (
    <fieldset class="fieldset">
      <legend>Filters</legend>
      <p class="hint">
        One pattern per line: globs (<code>*</code> within a path segment, <code>**</code> across,{' '}
        <code>?</code>, <code>{'{a,b}'}</code>) or <code>re:</code> followed by a regular expression
        anchored at both ends.
      </p>
      <div class="form-grid">
        {FILTER_FIELDS.map(([key, label]) => (
          <TextField
            key={key}
            label={label}
            name={key}
            value={draft[key]}
            onInput={(v) => onChange(key, v)}
            errors={reasons(`filters.${key}`)}
            rows={3}
          />
        ))}
      </div>
    </fieldset>
  );
}
