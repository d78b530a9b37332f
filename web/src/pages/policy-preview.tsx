import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Filters, PolicyPreview, PreviewRepository } from '../api/types';
import { ErrorNotice } from '../components/notice';
import { formatCount } from '../format';

interface PreviewProps {
  sourceRegistryId: string;
  filters: Partial<Filters>;
}

interface Accumulated {
  repositories: PreviewRepository[];
  repositoryCount: number;
  tagCount: number;
  next: string | null;
  stoppedBy: PolicyPreview['stoppedBy'];
}

const PAGE = 50;

/**
 * "These 12 repositories, 340 tags would be selected": the filters run against the
 * source by the API (POST /policies/preview), a page at a time; more pages add up.
 */
export function SelectionPreview({ sourceRegistryId, filters }: PreviewProps) {
  const [result, setResult] = useState<Accumulated>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify([sourceRegistryId, filters]);
  const [shownFor, setShownFor] = useState<string>();
  useEffect(() => setError(undefined), [key]);

  const load = async (after?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const page = await api<PolicyPreview>('/api/v1/policies/preview', {
        method: 'POST',
        json: { sourceRegistryId, filters, limit: PAGE, ...(after ? { after } : {}) },
      });
      setResult((prev) => {
        const base = after && prev ? prev : { repositories: [], repositoryCount: 0, tagCount: 0 };
        return {
          repositories: [...base.repositories, ...page.repositories],
          repositoryCount: base.repositoryCount + page.repositoryCount,
          tagCount: base.tagCount + page.tagCount,
          next: page.next,
          stoppedBy: page.stoppedBy,
        };
      });
      setShownFor(key);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const stale = result !== undefined && shownFor !== key;
  return (
    <section class="card preview" aria-labelledby="preview-title">
      <div class="card-head">
        <h2 id="preview-title">Selection preview</h2>
        <button
          type="button"
          class="button"
          disabled={busy || !sourceRegistryId}
          onClick={() => void load()}
        >
          {busy && !result ? 'Listing the source…' : result ? 'Preview again' : 'Preview selection'}
        </button>
      </div>
      {!sourceRegistryId && (
        <p class="muted">Choose a source registry to preview what the filters select.</p>
      )}
      {error !== undefined && <ErrorNotice error={error} />}
      {result && (
        <div class={stale ? 'stale' : undefined} aria-live="polite">
          <p class="preview-summary" data-testid="preview-summary">
            {result.next ? 'So far, at least ' : result.repositoryCount === 1 ? 'This ' : 'These '}
            <strong>{formatCount(result.repositoryCount)}</strong>{' '}
            {result.repositoryCount === 1 ? 'repository' : 'repositories'},{' '}
            <strong>{formatCount(result.tagCount)}</strong> {result.tagCount === 1 ? 'tag' : 'tags'}{' '}
            would be selected{result.next ? '' : '.'}
            {result.next && <> ({stopText(result.stoppedBy)})</>}
            {stale && <span class="muted"> — the filters changed since; preview again.</span>}
          </p>
          {result.repositories.length > 0 && (
            <div class="table-wrap">
              <table class="table compact">
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col" class="num">
                      Tags
                    </th>
                    <th scope="col">First tags</th>
                  </tr>
                </thead>
                <tbody>
                  {result.repositories.map((r) => (
                    <tr key={r.name} class={r.tags === 0 && !r.error ? 'dim' : undefined}>
                      <td class="mono">{r.name}</td>
                      <td class="num">
                        {formatCount(r.tags)}
                        {!r.complete && '+'}
                      </td>
                      <td class="mono wrap">
                        {r.error ? (
                          <span class="text-bad">{r.error}</span>
                        ) : (
                          r.sampleTags.join(', ') || '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result.next && (
            <button
              type="button"
              class="button"
              disabled={busy}
              onClick={() => void load(result.next!)}
            >
              {busy ? 'Listing…' : 'List more'}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function stopText(stoppedBy: PolicyPreview['stoppedBy']): string {
  switch (stoppedBy) {
    case 'limit':
      return `listed ${PAGE} repositories at a time; the source has more`;
    case 'scan':
      return 'many repository names looked at without a match; the source has more to list';
    case 'time':
      return 'the source was slow to list; more remains';
    default:
      return 'more to list';
  }
}
