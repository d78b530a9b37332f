import { useEffect, useState } from 'preact/hooks';
import { canWrite, session, type Session } from '../session';

export function useSession(): Session | undefined {
  const [current, setCurrent] = useState(session.get);
  useEffect(() => session.subscribe(() => setCurrent(session.get())), []);
  return current;
}

/** True when the signed-in role may change things (operator, admin). */
export function useCanWrite(): boolean {
  return canWrite(useSession()?.who.role);
}
