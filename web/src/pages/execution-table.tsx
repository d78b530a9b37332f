import type { Execution } from '../api/types';
import { ExecutionProgress } from '../components/execution-progress';
import { Owner } from '../components/owner';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { formatDuration } from '../format';
import { Link } from '../router';
import { useStopping } from '../stopping';

interface ExecutionTableProps {
  executions: Execution[];
  policies?: Map<string, string>;
  showOwner?: boolean;
}

export function ExecutionTable({ executions, policies, showOwner = true }: ExecutionTableProps) {
  const isStopping = useStopping();
  if (!executions.length) return null;
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Execution</th>
            {showOwner && <th scope="col">For</th>}
            <th scope="col" class="hide-sm">
              Trigger
            </th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Started</th>
            <th scope="col" class="hide-sm">
              Took
            </th>
          </tr>
        </thead>
        <tbody>
          {executions.map((e) => (
            <tr key={e.id} data-execution={e.id}>
              <th scope="row">
                <Link href={`/executions/${e.id}`} class="mono">
                  {e.id.slice(0, 8)}
                </Link>
              </th>
              {showOwner && (
                <td>
                  <Owner execution={e} policies={policies} />
                </td>
              )}
              <td class="hide-sm">{e.trigger}</td>
              <td>
                <StatusBadge status={e.status} stopping={isStopping(e.id)} />
              </td>
              <td class="progress-cell">
                <ExecutionProgress execution={e} />
              </td>
              <td>
                <When iso={e.startedAt ?? e.createdAt} />
              </td>
              <td class="hide-sm">
                {e.startedAt
                  ? formatDuration(
                      Date.parse(e.endedAt ?? new Date().toISOString()) - Date.parse(e.startedAt),
                    )
                  : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
