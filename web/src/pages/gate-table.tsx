import { gateText } from '../api/gate-words';
import type { GateResult } from '../api/pipeline-types';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';

/** Evidence as the gate recorded it: short values inline, the rest as JSON. */
function Evidence({ evidence }: { evidence: Record<string, unknown> }) {
  const entries = Object.entries(evidence);
  if (!entries.length) return <span class="muted">none</span>;
  return (
    <dl class="evidence">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>
            {typeof value === 'string' ||
            typeof value === 'number' ||
            typeof value === 'boolean' ? (
              <span class="mono">{String(value)}</span>
            ) : (
              <pre class="json">{JSON.stringify(value, null, 2)}</pre>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Every gate of a promotion (or of a dry run): what it asks for, its status and its
 * reason in words, when it was looked at (and will be again), and, with `evidence`,
 * what it found. Once the promotion has ended (`ended`), no gate is looked at again.
 */
export function GateTable({
  gates,
  evidence = false,
  ended = false,
}: {
  gates: GateResult[];
  evidence?: boolean;
  ended?: boolean;
}) {
  if (!gates.length) return <p class="muted">No gates: the stage takes the digest as it is.</p>;
  return (
    <div class="table-wrap">
      <table class="table gates">
        <thead>
          <tr>
            <th scope="col">Gate</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            {evidence && <th scope="col">Evidence</th>}
            <th scope="col" class="hide-sm">
              Looked at
            </th>
          </tr>
        </thead>
        <tbody>
          {gates.map((g, i) => (
            <tr key={i} data-gate={g.type}>
              <th scope="row">
                <span class="block">{g.type}</span>
                <span class="muted small">{gateText(g.config)}</span>
              </th>
              <td>
                <StatusBadge status={g.status} />
              </td>
              <td class="wrap gate-reason">{g.reason}</td>
              {evidence && (
                <td class="wrap">
                  <Evidence evidence={g.evidence} />
                </td>
              )}
              <td class="hide-sm">
                <When iso={g.evaluatedAt} />
                {!ended && g.status === 'pending' && g.nextCheckAt && (
                  <span class="block small muted">
                    again <When iso={g.nextCheckAt} inline />
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
