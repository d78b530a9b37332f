import type { ComponentChildren } from 'preact';
import { Link, useLocation } from '../router';
import { session, type Session } from '../session';
import { NAV } from '../routes';

export function Layout({ current, children }: { current: Session; children: ComponentChildren }) {
  const { path } = useLocation();
  const under = (href: string) => path === href || path.startsWith(`${href}/`);
  const isCurrent = (item: (typeof NAV)[number]) =>
    item.href === '/' ? path === '/' : under(item.href) || (item.also ?? []).some(under);
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand">
          <span class="brand-mark" aria-hidden="true" /> regrelay
        </Link>
        <nav class="nav" aria-label="Main">
          {NAV.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              class={isCurrent(item) ? 'nav-link current' : 'nav-link'}
              aria-current={isCurrent(item) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <div class="who">
          <span class="who-name" title={`Token id ${current.who.id}`}>
            {current.who.name}
          </span>
          <span class={`role role-${current.who.role}`}>{current.who.role}</span>
          <button type="button" class="button small" onClick={() => session.end()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
