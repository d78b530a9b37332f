import { formatAbsolute, formatRelative } from '../format';
import { useNow } from '../hooks/use-now';

/** A time, relative ("5 min ago") with the absolute local time beside it. */
export function When({
  iso,
  inline = false,
}: {
  iso: string | null | undefined;
  inline?: boolean;
}) {
  // The shared clock ticks every 15 s; a time that has just arrived is measured against now.
  const now = Math.max(useNow(), Date.now());
  if (!iso) return <span class="muted">—</span>;
  const absolute = formatAbsolute(iso);
  return (
    <time
      dateTime={iso}
      title={new Date(iso).toISOString()}
      class={inline ? 'when inline' : 'when'}
    >
      <span class="rel">{formatRelative(iso, now)}</span>
      <span class="abs">{absolute}</span>
    </time>
  );
}
