import type { ComponentType } from 'preact';
import { ExecutionDetailPage } from './pages/execution-detail';
import { ExecutionsPage } from './pages/executions';
import { OverviewPage } from './pages/overview';
import { PoliciesPage } from './pages/policies';
import { PolicyDetailPage } from './pages/policy-detail';
import { PolicyEditPage } from './pages/policy-form';
import { RegistriesPage } from './pages/registries';

export interface Route {
  path: string;
  /** Gets the path's parameters (`:id`) as props. */
  page: ComponentType<{ id: string }>;
}

/**
 * Every page of the console, first match wins. Features that are not in the service
 * yet get their pages here when they land (see docs/console.md, "Adding a page"):
 * topologies (`/topologies`, `/topologies/:id`: the node graph with sync state and
 * lag, conflicts to resolve) and pipelines (`/pipelines/:id`: stages as columns,
 * promote / approve / reject / rollback), each with its NAV entry below.
 */
export const ROUTES: Route[] = [
  { path: '/', page: OverviewPage },
  { path: '/registries', page: RegistriesPage },
  { path: '/policies', page: PoliciesPage },
  { path: '/policies/new', page: PolicyEditPage },
  { path: '/policies/:id', page: PolicyDetailPage },
  { path: '/policies/:id/edit', page: PolicyEditPage },
  { path: '/executions', page: ExecutionsPage },
  { path: '/executions/:id', page: ExecutionDetailPage },
];

export const NAV: { href: string; label: string }[] = [
  { href: '/', label: 'Overview' },
  { href: '/registries', label: 'Registries' },
  { href: '/policies', label: 'Policies' },
  { href: '/executions', label: 'Executions' },
];
