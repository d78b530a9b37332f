import { api } from '../api/client';
import type { Execution, Page as ApiPage, Task } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNotice } from '../components/notice';
import { Loading } from '../components/page';
import { formatCount } from '../format';
import { useResource } from '../hooks/use-resource';

const SHOWN = 100;

interface HeldDeletionsProps {
  execution: Execution;
  onClose: () => void;
  onConfirmed: (result: { executionId: string; confirmed: number }) => void;
}

/** Lists what the deletion guard held, and runs it only once the box is ticked. */
export function HeldDeletionsDialog({ execution, onClose, onConfirmed }: HeldDeletionsProps) {
  const held = useResource(
    (signal) =>
      api<ApiPage<Task>>(`/api/v1/executions/${execution.id}/tasks?status=held&limit=${SHOWN}`, {
        signal,
      }),
    [execution.id],
  );
  const total = held.data?.total ?? execution.counts.held;
  return (
    <ConfirmDialog
      title={`Delete ${formatCount(total)} held ${total === 1 ? 'tag' : 'tags'}?`}
      confirmLabel="Delete them"
      danger
      acknowledge={`I understand that these ${formatCount(total)} tags will be deleted from the destinations.`}
      onClose={onClose}
      onConfirm={async () => {
        onConfirmed(
          await api<{ executionId: string; confirmed: number }>(
            `/api/v1/executions/${execution.id}/confirm-deletions`,
            {
              method: 'POST',
            },
          ),
        );
      }}
    >
      {execution.message && <p>{execution.message}</p>}
      <p>
        Each deletion still checks, just before it runs, that the source lacks the tag and that the
        destination holds what regrelay wrote there.
      </p>
      {held.error !== undefined && <ErrorNotice error={held.error} />}
      {!held.data && <Loading />}
      {held.data && (
        <ul class="held-list" aria-label="Deletions to confirm">
          {held.data.items.map((t) => (
            <li key={t.id} class="mono">
              {t.destinationRegistry ?? t.destinationRegistryId.slice(0, 8)}:{' '}
              {t.destinationRepository}
              {t.tag ? `:${t.tag}` : `@${t.digest}`}
            </li>
          ))}
          {held.data.total > held.data.items.length && (
            <li class="muted">and {formatCount(held.data.total - held.data.items.length)} more</li>
          )}
        </ul>
      )}
    </ConfirmDialog>
  );
}
