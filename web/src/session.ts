import type { Role, WhoAmI } from './api/types';

const KEY = 'regrelay.session';
/**
 * Why the server ended the last session. Kept beside it, not in memory only: the
 * session may end on a background refresh just before the user reloads or follows a
 * link, and the sign-in page after that load must still say why.
 */
const ENDED_KEY = 'regrelay.session-ended';

export interface Session {
  token: string;
  who: WhoAmI;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Session | undefined = read();
let endedReason: string | undefined = current ? undefined : readEnded();

/**
 * The signed-in token. Kept in sessionStorage only: it lives as long as the tab,
 * is not shared with other tabs, and never goes to disk as a cookie would.
 */
export const session = {
  get(): Session | undefined {
    return current;
  },
  /** Why the last session ended, when the server ended it (shown at sign-in). */
  endedReason(): string | undefined {
    return endedReason;
  },
  start(next: Session): void {
    current = next;
    endedReason = undefined;
    sessionStorage.setItem(KEY, JSON.stringify(next));
    sessionStorage.removeItem(ENDED_KEY);
    notify();
  },
  end(reason?: string): void {
    if (!current && !reason) return;
    current = undefined;
    endedReason = reason;
    sessionStorage.removeItem(KEY);
    if (reason) sessionStorage.setItem(ENDED_KEY, reason);
    else sessionStorage.removeItem(ENDED_KEY);
    notify();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** What a role may do in the console; the server checks it again on every call. */
export function canWrite(role: Role | undefined): boolean {
  return role === 'operator' || role === 'admin';
}

function notify(): void {
  for (const listener of listeners) listener();
}

function readEnded(): string | undefined {
  try {
    return sessionStorage.getItem(ENDED_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function read(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Session) : undefined;
    return parsed?.token && parsed.who?.role ? parsed : undefined;
  } catch {
    return undefined;
  }
}
