import type { ComponentType } from 'preact';
import { lazyPage } from './lazy-page';
import { ExecutionDetailPage } from './pages/execution-detail';
import { ExecutionsPage } from './pages/executions';
import { OverviewPage } from './pages/overview';
import { PoliciesPage } from './pages/policies';
import { PolicyDetailPage } from './pages/policy-detail';
import { PolicyEditPage } from './pages/policy-form';
import { RegistriesPage } from './pages/registries';

type LaterPages = typeof import('./pages/lazy-pages');

/** A page of the chunk loaded on first use (topologies, pipelines, promotions). */
const later = (name: keyof LaterPages) =>
  lazyPage(() => import('./pages/lazy-pages').then((m) => m[name]));

export interface Route {
  path: string;
  /** Gets the path's parameters (`:id`) as props. */
  page: ComponentType<{ id: string }>;
}

/** Every page of the console, first match wins (see docs/console.md, "Adding a page"). */
export const ROUTES: Route[] = [
  { path: '/', page: OverviewPage },
  { path: '/registries', page: RegistriesPage },
  { path: '/policies', page: PoliciesPage },
  { path: '/policies/new', page: PolicyEditPage },
  { path: '/policies/:id', page: PolicyDetailPage },
  { path: '/policies/:id/edit', page: PolicyEditPage },
  { path: '/executions', page: ExecutionsPage },
  { path: '/executions/:id', page: ExecutionDetailPage },
  { path: '/topologies', page: later('TopologiesPage') },
  { path: '/topologies/new', page: later('TopologyEditPage') },
  { path: '/topologies/:id', page: later('TopologyDetailPage') },
  { path: '/topologies/:id/edit', page: later('TopologyEditPage') },
  { path: '/pipelines', page: later('PipelinesPage') },
  { path: '/pipelines/new', page: later('PipelineEditPage') },
  { path: '/pipelines/:id', page: later('PipelineDetailPage') },
  { path: '/pipelines/:id/edit', page: later('PipelineEditPage') },
  // A promotion belongs to its pipeline: the navigation shows Pipelines as current.
  { path: '/promotions/:id', page: later('PromotionDetailPage') },
];

export const NAV: { href: string; label: string; also?: string[] }[] = [
  { href: '/', label: 'Overview' },
  { href: '/registries', label: 'Registries' },
  { href: '/policies', label: 'Policies' },
  { href: '/executions', label: 'Executions' },
  { href: '/topologies', label: 'Topologies' },
  { href: '/pipelines', label: 'Pipelines', also: ['/promotions'] },
];
