import type { Execution } from '../api/types';
import { formatBytes, formatCount, percent } from '../format';
import { ProgressBar } from './progress';

/** Tasks that have ended (anything neither waiting nor running). */
export function tasksDone(e: Execution): number {
  return e.counts.total - e.counts.pending - e.counts.running;
}

/** Percent done; not 100 while planning may still add tasks. */
export function executionPercent(e: Execution): number {
  const done = tasksDone(e);
  if (e.status !== 'pending' && e.status !== 'running') return 100;
  const value = percent(done, e.counts.total);
  return e.planned ? value : Math.min(value, 99);
}

export function ExecutionProgress({ execution }: { execution: Execution }) {
  const e = execution;
  return (
    <div class="exec-progress">
      <ProgressBar value={executionPercent(e)} label={`Execution ${e.id.slice(0, 8)} progress`} />
      <span class="muted small">
        {formatCount(tasksDone(e))} / {formatCount(e.counts.total)} tasks
        {!e.planned && (e.status === 'running' || e.status === 'pending') && ' (planning…)'}
        {e.bytesTotal > 0 && (
          <>
            {' · '}
            {formatBytes(e.bytesDone)} / {formatBytes(e.bytesTotal)}
          </>
        )}
      </span>
    </div>
  );
}
