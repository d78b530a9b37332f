import { useEffect, useRef, useState } from 'preact/hooks';

function pageVisible(): boolean {
  return document.visibilityState !== 'hidden';
}

/** True while the tab is shown (not in the background, not minimised). */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(pageVisible);
  useEffect(() => {
    const update = () => setVisible(pageVisible());
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return visible;
}

/**
 * Polls for what has no event stream: `fn` every `ms` while `active` and the tab is
 * shown. A hidden tab asks nothing; when it is shown again, `fn` runs at once, so what
 * it shows is never older than one interval.
 */
export function useVisibleInterval(fn: () => void, ms: number, active = true): void {
  const ref = useRef(fn);
  ref.current = fn;
  const visible = usePageVisible();
  const wasHidden = useRef(false);
  useEffect(() => {
    if (!visible) {
      wasHidden.current = true;
      return;
    }
    if (!active) return;
    if (wasHidden.current) {
      wasHidden.current = false;
      ref.current();
    }
    const id = setInterval(() => ref.current(), ms);
    return () => clearInterval(id);
  }, [ms, active, visible]);
}
