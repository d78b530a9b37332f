import { useEffect, useState } from 'preact/hooks';

const KEY = 'regrelay.stopping';
const listeners = new Set<() => void>();
let ids = new Set<string>(read());

/**
 * Executions this tab asked to stop, until they have stopped: their rows say
 * "stopping…" meanwhile (the API answers the stop at once; running transfers take a
 * moment to abort). Kept per tab, like the session.
 */
export const stopping = {
  has: (id: string) => ids.has(id),
  add(id: string) {
    ids = new Set(ids).add(id);
    save();
  },
  /** Called whenever an execution is seen ended. */
  settle(id: string) {
    if (!ids.has(id)) return;
    ids = new Set(ids);
    ids.delete(id);
    save();
  },
};

export function useStopping(): (id: string) => boolean {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const update = () => setVersion((v) => v + 1);
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return stopping.has;
}

function save() {
  sessionStorage.setItem(KEY, JSON.stringify([...ids]));
  for (const listener of listeners) listener();
}

function read(): string[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
