import { api } from '../api/client';
import { latestExecutions } from '../api/lookups';
import { parseLag } from '../api/lag-metrics';
import type { Drift, Execution, Policy, Registry } from '../api/types';
import { ExecutionProgress } from '../components/execution-progress';
import { Reachability, usePings } from '../components/reachability';
import { Owner } from '../components/owner';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { formatCount, formatDuration, formatRate } from '../format';
import { useExecutionEvents } from '../hooks/use-execution-events';
import { useRate } from '../hooks/use-rate';
import { useResource } from '../hooks/use-resource';
import { Link } from '../router';
import { useStopping } from '../stopping';

/** A running execution with live progress; the first few follow its event stream. */
export function RunningRow({
  execution,
  live,
  policies,
  onChange,
}: {
  execution: Execution;
  live: boolean;
  policies?: Map<string, string>;
  onChange: () => void;
}) {
  useExecutionEvents(execution.id, live, onChange);
  const rate = useRate(execution);
  const isStopping = useStopping();
  return (
    <li class="running-row" data-execution={execution.id}>
      <div class="running-head">
        <Link href={`/executions/${execution.id}`} class="mono">
          {execution.id.slice(0, 8)}
        </Link>{' '}
        <Owner execution={execution} policies={policies} />{' '}
        <StatusBadge status={execution.status} stopping={isStopping(execution.id)} />
        <span class="muted small">
          {' '}
          started <When iso={execution.startedAt ?? execution.createdAt} inline />
        </span>
      </div>
      <ExecutionProgress execution={execution} />
      {rate !== undefined && <span class="rate">{formatRate(rate)}</span>}
    </li>
  );
}

export function FailureList({
  failures,
  policies,
}: {
  failures: Execution[];
  policies?: Map<string, string>;
}) {
  if (!failures.length) return <p class="muted">No failed executions.</p>;
  return (
    <ul class="plain-list">
      {failures.map((e) => (
        <li key={e.id}>
          <Link href={`/executions/${e.id}?status=failed`} class="mono">
            {e.id.slice(0, 8)}
          </Link>{' '}
          <Owner execution={e} policies={policies} /> <When iso={e.endedAt ?? e.createdAt} inline />
          {e.message && <p class="reason small">{e.message}</p>}
        </li>
      ))}
    </ul>
  );
}

export function RegistryHealth({
  registries,
  canWrite,
}: {
  registries: Registry[];
  canWrite: boolean;
}) {
  const { pings, ping } = usePings();
  if (!registries.length) return <p class="muted">No registries yet.</p>;
  return (
    <>
      <ul class="plain-list">
        {registries.map((r) => (
          <li key={r.id} data-registry={r.name}>
            <strong>{r.name}</strong> <span class="muted mono small">{r.url}</span>
            <span class="block small">
              <Reachability registry={r} ping={pings[r.id]} />
            </span>
          </li>
        ))}
      </ul>
      {canWrite && (
        <button
          type="button"
          class="button small"
          onClick={() => registries.forEach((r) => void ping(r))}
        >
          Ping all
        </button>
      )}
    </>
  );
}

const DRIFT_POLICIES = 20;

/** Out-of-sync counts from each policy's latest drift report (the first 20 policies). */
export function DriftSummary({ policies }: { policies: Policy[] }) {
  const shown = policies.slice(0, DRIFT_POLICIES);
  const drift = useResource(
    (signal) =>
      Promise.all(shown.map((p) => api<Drift>(`/api/v1/policies/${p.id}/drift`, { signal }))),
    [shown.map((p) => p.id).join()],
  );
  if (!policies.length) return <p class="muted">No policies yet.</p>;
  if (!drift.data) return <p class="muted">…</p>;
  return (
    <ul class="plain-list">
      {shown.map((p, i) => {
        const report = drift.data![i]!;
        const out = report.destinations.reduce(
          (n, d) => n + d.missing + d.different + d.extra + d.unreadable,
          0,
        );
        return (
          <li key={p.id}>
            <Link href={`/policies/${p.id}`}>{p.name}</Link>{' '}
            {!report.checkedAt ? (
              <span class="muted">not compared yet</span>
            ) : out === 0 ? (
              <span class="text-good">in sync</span>
            ) : (
              <span class="text-bad">{formatCount(out)} out of sync</span>
            )}
            {report.checkedAt && (
              <span class="muted small">
                {' '}
                · <When iso={report.checkedAt} inline />
              </span>
            )}
          </li>
        );
      })}
      {policies.length > DRIFT_POLICIES && (
        <li class="muted">
          and {policies.length - DRIFT_POLICIES} more policies: see each policy.
        </li>
      )}
    </ul>
  );
}

/** Event-to-arrival lag, from /metrics (open by default; a proxy may guard it). */
export function LagSummary() {
  const lag = useResource(async (signal) => {
    const res = await fetch('/metrics', { signal, headers: { accept: 'text/plain' } });
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    return parseLag(await res.text());
  }, []);
  if (lag.error !== undefined)
    return (
      <p class="muted">
        Lag is not readable here ({String((lag.error as Error).message ?? lag.error)}); see Grafana.
      </p>
    );
  if (!lag.data) return <p class="muted">…</p>;
  if (!lag.data.length)
    return <p class="muted">No event-driven copies measured yet by this replica.</p>;
  return (
    <>
      <ul class="plain-list">
        {lag.data.map((l) => (
          <li key={`${l.policy}/${l.destination}`}>
            {l.policy} → {l.destination}: mean {formatDuration(l.meanSeconds * 1000)}, 95 % within{' '}
            {Number.isFinite(l.p95AtMostSeconds)
              ? formatDuration(l.p95AtMostSeconds * 1000)
              : 'more than an hour'}{' '}
            <span class="muted small">({formatCount(l.count)} arrivals)</span>
          </li>
        ))}
      </ul>
      <p class="hint">
        From the push event to the artifact in place, as measured by the replica serving this page
        since it started.
      </p>
    </>
  );
}

const POLICY_ROWS = 10;

/** The first policies by name with how their last execution went. */
export function PolicyStatusList({ policies }: { policies: Policy[] }) {
  const shown = policies.slice(0, POLICY_ROWS);
  const latest = useResource(
    (signal) =>
      latestExecutions(
        shown.map((p) => p.id),
        signal,
      ),
    [shown.map((p) => p.id).join()],
  );
  if (!policies.length) return <p class="muted">No policies yet.</p>;
  return (
    <ul class="plain-list">
      {shown.map((p) => {
        const last = latest.data?.get(p.id);
        return (
          <li key={p.id}>
            <Link href={`/policies/${p.id}`}>{p.name}</Link>{' '}
            {!p.enabled && <span class="muted">disabled </span>}
            {last ? (
              <Link href={`/executions/${last.id}`} class="plain">
                <StatusBadge status={last.status} />{' '}
                <span class="small">
                  <When iso={last.endedAt ?? last.startedAt ?? last.createdAt} inline />
                </span>
              </Link>
            ) : (
              <span class="muted small">{latest.data ? 'never run' : '…'}</span>
            )}
          </li>
        );
      })}
      {policies.length > POLICY_ROWS && (
        <li>
          <Link href="/policies">All {formatCount(policies.length)} policies</Link>
        </li>
      )}
    </ul>
  );
}
