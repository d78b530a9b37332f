import { formatCount } from '../format';

interface PagerProps {
  total: number;
  limit: number;
  offset: number;
  onPage: (offset: number) => void;
  label: string;
}

/** Server-side pages: "51–100 of 10,000" and first / previous / next / last. */
export function Pager({ total, limit, offset, onPage, label }: PagerProps) {
  if (total <= limit && offset === 0) return null;
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(total, offset + limit);
  return (
    <nav class="pager" aria-label={label}>
      <span class="pager-range">
        {formatCount(from)}–{formatCount(to)} of {formatCount(total)}
      </span>
      <button type="button" class="button" disabled={offset === 0} onClick={() => onPage(0)}>
        First
      </button>
      <button
        type="button"
        class="button"
        disabled={offset === 0}
        onClick={() => onPage(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <button
        type="button"
        class="button"
        disabled={offset + limit >= total}
        onClick={() => onPage(offset + limit)}
      >
        Next
      </button>
      <button type="button" class="button" disabled={offset >= last} onClick={() => onPage(last)}>
        Last
      </button>
    </nav>
  );
}
