import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

interface PageProps {
  title: string;
  /** The page's first content is on screen (the console bench waits for it). */
  ready: boolean;
  name: string;
  actions?: ComponentChildren;
  subtitle?: ComponentChildren;
  children: ComponentChildren;
}

export function Page({ title, ready, name, actions, subtitle, children }: PageProps) {
  useEffect(() => {
    document.title = `${title} · regrelay`;
  }, [title]);
  useEffect(() => {
    // When the first content showed, for the browser's performance tools (and the console bench).
    if (ready && !performance.getEntriesByName(`regrelay:ready:${name}`).length)
      performance.mark(`regrelay:ready:${name}`);
  }, [ready, name]);
  return (
    <section class="page" data-page={name} data-ready={ready ? 'true' : 'false'} aria-busy={!ready}>
      <div class="page-head">
        <div>
          <h1>{title}</h1>
          {subtitle && <p class="subtitle">{subtitle}</p>}
        </div>
        {actions && <div class="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function Loading() {
  return <p class="muted loading">Loading…</p>;
}
