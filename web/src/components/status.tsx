const LABELS: Record<string, string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  stopped: 'stopped',
  held: 'held',
  stopping: 'stopping…',
};

/** A status as a coloured badge; the word is always there, so colour is never the only cue. */
export function StatusBadge({ status, stopping = false }: { status: string; stopping?: boolean }) {
  const shown = stopping && (status === 'running' || status === 'pending') ? 'stopping' : status;
  return <span class={`badge badge-${shown}`}>{LABELS[shown] ?? shown}</span>;
}
