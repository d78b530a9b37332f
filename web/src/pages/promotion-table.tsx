import type { Promotion } from '../api/pipeline-types';
import { Digest } from '../components/digest';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { Link } from '../router';

/** Promotions, newest first: what moved where, who asked, and where it stands in words. */
export function PromotionTable({ promotions }: { promotions: Promotion[] }) {
  if (!promotions.length) return null;
  return (
    <div class="table-wrap">
      <table class="table promotions">
        <thead>
          <tr>
            <th scope="col">Promotion</th>
            <th scope="col">What</th>
            <th scope="col">Into</th>
            <th scope="col">Status</th>
            <th scope="col" class="hide-sm">
              Asked by
            </th>
            <th scope="col">Asked</th>
          </tr>
        </thead>
        <tbody>
          {promotions.map((p) => (
            <tr key={p.id} data-promotion={p.id}>
              <th scope="row">
                <Link href={`/promotions/${p.id}`} class="mono">
                  {p.id.slice(0, 8)}
                </Link>
                {p.kind !== 'promote' && <span class="tag">{p.kind}</span>}
              </th>
              <td class="wrap">
                <span class="mono">
                  {p.repository}
                  {p.tag ? `:${p.tag}` : ''}
                </span>{' '}
                <Digest value={p.digest} />
              </td>
              <td>
                {p.kind === 'rollback' ? p.to.stage : `${p.from.stage} → ${p.to.stage}`}
                {p.forced && <span class="tag warn">forced</span>}
              </td>
              <td class="wrap">
                <StatusBadge status={p.status} />
                <span class="reason small block">{p.message}</span>
              </td>
              <td class="hide-sm">{p.requestedBy}</td>
              <td>
                <When iso={p.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
