import { api } from '../api/client';
import type { Execution, Page as ApiPage, Policy, Registry } from '../api/types';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { formatCount } from '../format';
import { useInterval } from '../hooks/use-interval';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { Link } from '../router';
import {
  DriftSummary,
  FailureList,
  LagSummary,
  PolicyStatusList,
  RegistryHealth,
  RunningRow,
} from './overview-parts';

/** Executions followed live on the overview; browsers hold few connections per server. */
const LIVE_STREAMS = 3;

const executions = (query: string, signal: AbortSignal) =>
  api<ApiPage<Execution>>(`/api/v1/executions?${query}`, { signal });

export function OverviewPage() {
  const canWrite = useCanWrite();
  const base = useResource(async (signal) => {
    const [registries, policies] = await Promise.all([
      api<Registry[]>('/api/v1/registries', { signal }),
      api<Policy[]>('/api/v1/policies', { signal }),
    ]);
    return { registries, policies };
  }, []);
  const activity = useResource(async (signal) => {
    const [running, pending, failed] = await Promise.all([
      executions('status=running&limit=10', signal),
      executions('status=pending&limit=10', signal),
      executions('status=failed&limit=5', signal),
    ]);
    return { running, pending, failed };
  }, []);
  // New executions start without telling this page: look again now and then.
  useInterval(activity.reload, 5_000);
  const names = base.data && new Map(base.data.policies.map((p) => [p.id, p.name]));
  const active = activity.data
    ? [...activity.data.running.items, ...activity.data.pending.items]
    : [];

  return (
    <Page
      title="Overview"
      name="overview"
      ready={base.data !== undefined && activity.data !== undefined}
    >
      {base.error !== undefined && <ErrorNotice error={base.error} />}
      {activity.error !== undefined && <ErrorNotice error={activity.error} />}
      {(!base.data || !activity.data) && <Loading />}
      {base.data && activity.data && (
        <>
          <div class="stats">
            <Stat label="Registries" value={base.data.registries.length} href="/registries" />
            <Stat
              label="Policies enabled"
              value={base.data.policies.filter((p) => p.enabled).length}
              of={base.data.policies.length}
              href="/policies"
            />
            <Stat
              label="Running"
              value={activity.data.running.total}
              href="/executions?status=running"
            />
            <Stat
              label="Waiting"
              value={activity.data.pending.total}
              href="/executions?status=pending"
            />
            <Stat
              label="Failed executions"
              value={activity.data.failed.total}
              href="/executions?status=failed"
              bad
            />
          </div>
          <div class="grid">
            <section class="card span-2" aria-labelledby="running-title">
              <h2 id="running-title">Running now</h2>
              {active.length === 0 ? (
                <p class="muted">Nothing is running.</p>
              ) : (
                <ul class="running-list">
                  {active.map((e, i) => (
                    <RunningRow
                      key={e.id}
                      execution={e}
                      live={i < LIVE_STREAMS}
                      policies={names}
                      onChange={activity.reload}
                    />
                  ))}
                </ul>
              )}
            </section>
            <section class="card" aria-labelledby="policies-title">
              <h2 id="policies-title">Policies</h2>
              <PolicyStatusList policies={base.data.policies} />
            </section>
            <section class="card" aria-labelledby="failures-title">
              <h2 id="failures-title">Recent failures</h2>
              <FailureList failures={activity.data.failed.items} policies={names} />
            </section>
            <section class="card" aria-labelledby="registries-title">
              <h2 id="registries-title">Registries</h2>
              <RegistryHealth registries={base.data.registries} canWrite={canWrite} />
            </section>
            <section class="card" aria-labelledby="drift-title">
              <h2 id="drift-title">Out of sync</h2>
              <DriftSummary policies={base.data.policies} />
            </section>
            <section class="card" aria-labelledby="lag-title">
              <h2 id="lag-title">Replication lag</h2>
              <LagSummary />
            </section>
          </div>
        </>
      )}
    </Page>
  );
}

function Stat({
  label,
  value,
  of,
  href,
  bad = false,
}: {
  label: string;
  value: number;
  of?: number;
  href: string;
  bad?: boolean;
}) {
  return (
    <Link href={href} class={bad && value > 0 ? 'stat bad' : 'stat'}>
      <span class="stat-value">
        {formatCount(value)}
        {of !== undefined && <span class="stat-of"> / {formatCount(of)}</span>}
      </span>
      <span class="stat-label">{label}</span>
    </Link>
  );
}
