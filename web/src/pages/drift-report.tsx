import { useState } from 'preact/hooks';
import { api, errorText } from '../api/client';
import type { Drift } from '../api/types';
import { ErrorNotice, Notice } from '../components/notice';
import { When } from '../components/time';
import { formatCount } from '../format';
import { useResource } from '../hooks/use-resource';
import { Link } from '../router';

/** The policy's latest drift report, and "reconcile now" for those who may. */
export function DriftReport({ policyId, canWrite }: { policyId: string; canWrite: boolean }) {
  const drift = useResource(
    (signal) => api<Drift>(`/api/v1/policies/${policyId}/drift`, { signal }),
    [policyId],
  );
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<string>();

  const reconcile = async () => {
    setBusy(true);
    setNote(undefined);
    setError(undefined);
    try {
      const answer = await api<Drift | { status: 'running' }>(
        `/api/v1/policies/${policyId}/drift`,
        { method: 'POST' },
      );
      if ('status' in answer)
        setNote(
          'The comparison is still running in the background; the report updates when it ends. Reload in a while.',
        );
      drift.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const report = drift.data;
  return (
    <section class="card" aria-labelledby="drift-title">
      <div class="card-head">
        <h2 id="drift-title">Drift</h2>
        {canWrite && (
          <button type="button" class="button" disabled={busy} onClick={() => void reconcile()}>
            {busy ? 'Comparing source and destinations…' : 'Reconcile now'}
          </button>
        )}
      </div>
      {drift.error !== undefined && <ErrorNotice error={drift.error} />}
      {error && <ErrorNotice message={error} />}
      {note && <Notice>{note}</Notice>}
      {report && !report.checkedAt && <p class="muted">Never compared yet.</p>}
      {report?.checkedAt && (
        <>
          <p>
            Compared <When iso={report.checkedAt} inline />.
            {report.repairExecutionId && (
              <>
                {' '}
                Repair:{' '}
                <Link href={`/executions/${report.repairExecutionId}`}>
                  execution {report.repairExecutionId.slice(0, 8)}
                </Link>
                .
              </>
            )}
          </p>
          <div class="table-wrap">
            <table class="table compact">
              <thead>
                <tr>
                  <th scope="col">Destination</th>
                  <th scope="col" class="num">
                    Missing
                  </th>
                  <th scope="col" class="num">
                    Different
                  </th>
                  <th scope="col" class="num">
                    Extra
                  </th>
                  <th scope="col" class="num">
                    Unreadable
                  </th>
                  <th scope="col">Examples</th>
                </tr>
              </thead>
              <tbody>
                {report.destinations.map((d) => (
                  <tr key={d.registryId}>
                    <th scope="row">
                      {d.registry ?? d.registryId.slice(0, 8)}{' '}
                      {d.inSync ? (
                        <span class="text-good">in sync</span>
                      ) : (
                        <span class="text-bad">drifted</span>
                      )}
                    </th>
                    <td class="num">{formatCount(d.missing)}</td>
                    <td class="num">{formatCount(d.different)}</td>
                    <td class="num">{formatCount(d.extra)}</td>
                    <td class="num">{formatCount(d.unreadable)}</td>
                    <td class="mono wrap">
                      {[
                        ...d.samples.missing.map((s) => `missing ${s}`),
                        ...d.samples.different.map((s) => `different ${s}`),
                        ...d.samples.extra.map((s) => `extra ${s}`),
                      ]
                        .slice(0, 5)
                        .join(', ') || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
