import { useState } from 'preact/hooks';
import type { Registry } from '../api/types';

/**
 * A form's draft: the state, and `set(key)` giving the change handler of one field
 * (what every field of the policy and topology forms is wired to).
 */
export function useDraft<D extends object>(initial: () => D) {
  const [draft, setDraft] = useState(initial);
  const set =
    <K extends keyof D>(key: K) =>
    (value: D[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  return { draft, setDraft, set };
}

/** The options of a registry picker: a prompt first, then each registry by name and URL. */
export function registryOptions(registries: readonly Registry[]) {
  return [
    { value: '', label: 'Choose a registry…' },
    ...registries.map((r) => ({ value: r.id, label: `${r.name} (${r.url})` })),
  ];
}
