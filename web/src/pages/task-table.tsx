import type { Task } from '../api/types';
import { StatusBadge } from '../components/status';
import { formatBytes } from '../format';

/** An execution's tasks: what each copies or deletes, where, how far, and why it ended so. */
export function TaskTable({ tasks }: { tasks: Task[] }) {
  return (
    <div class="table-wrap">
      <table class="table tasks">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Artifact</th>
            <th scope="col">Destination</th>
            <th scope="col" class="num">
              Bytes
            </th>
            <th scope="col" class="num hide-sm">
              Attempts
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-task={t.id} data-status={t.status}>
              <td>
                <StatusBadge status={t.status} />
                {t.operation === 'delete' && <span class="tag warn">delete</span>}
              </td>
              <td class="mono wrap">
                {t.sourceRepository}
                {t.tag ? `:${t.tag}` : ''}
                <span class="digest block muted" title={t.digest}>
                  {t.digest.slice(0, 19)}…
                </span>
              </td>
              <td class="wrap">
                {t.destinationRegistry ?? t.destinationRegistryId.slice(0, 8)}
                <span class="block mono muted">{t.destinationRepository}</span>
              </td>
              <td class="num">
                {t.bytesTotal > 0
                  ? `${formatBytes(t.bytesDone)} / ${formatBytes(t.bytesTotal)}`
                  : formatBytes(t.bytesDone)}
              </td>
              <td class="num hide-sm">{t.attempts}</td>
              <td class="wrap reason">{t.reason ?? <span class="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
