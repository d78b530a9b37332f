import { api } from '../api/client';
import { policyNames } from '../api/lookups';
import {
  EXECUTION_STATUSES,
  isActive,
  OWNER_KINDS,
  type Execution,
  type Page as ApiPage,
} from '../api/types';
import { SelectField } from '../components/field';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { Pager } from '../components/pager';
import { useInterval } from '../hooks/use-interval';
import { useResource } from '../hooks/use-resource';
import { Link, navigate, useLocation, withQuery } from '../router';
import { ExecutionTable } from './execution-table';

const LIMIT = 50;

/** Every execution, newest first, filtered and paged by the server. */
export function ExecutionsPage() {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const policyId = query.get('policyId') ?? '';
  const ownerKind = query.get('ownerKind') ?? '';
  // Set by links from a topology's page: that owner's executions only.
  const ownerId = query.get('ownerId') ?? '';
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const page = useResource(
    (signal) =>
      api<ApiPage<Execution>>(
        withQuery('/api/v1/executions', {
          limit: LIMIT,
          offset,
          status,
          policyId,
          ownerKind,
          ownerId,
        }),
        { signal },
      ),
    [status, policyId, ownerKind, ownerId, offset],
  );
  const policies = useResource((signal) => policyNames(signal), []);
  // Running executions on screen: refresh now and then (their detail page streams).
  useInterval(page.reload, 5_000, page.data?.items.some(isActive) ?? false);

  const go = (change: Record<string, string | number | undefined>) =>
    navigate(withQuery('/executions', { status, policyId, ownerKind, ownerId, offset, ...change }));
  const policyOptions = [
    { value: '', label: 'All policies' },
    ...[...(policies.data ?? new Map<string, string>())].map(([id, name]) => ({
      value: id,
      label: name,
    })),
  ];
  if (policyId && !policies.data?.has(policyId))
    policyOptions.push({ value: policyId, label: `policy ${policyId.slice(0, 8)}` });
  return (
    <Page title="Executions" name="executions" ready={page.data !== undefined}>
      <div class="filters" role="search" aria-label="Filter executions">
        <SelectField
          label="Status"
          value={status}
          onChange={(v) => go({ status: v, offset: 0 })}
          options={[
            { value: '', label: 'Any status' },
            ...EXECUTION_STATUSES.map((s) => ({ value: s, label: s })),
          ]}
        />
        <SelectField
          label="Belongs to"
          value={ownerKind}
          onChange={(v) => go({ ownerKind: v, offset: 0 })}
          options={[
            { value: '', label: 'Anything' },
            ...OWNER_KINDS.map((k) => ({
              value: k,
              label: k === 'copy' ? 'one-off copies' : `${k}s`,
            })),
          ]}
        />
        <SelectField
          label="Policy"
          value={policyId}
          onChange={(v) => go({ policyId: v, offset: 0 })}
          options={policyOptions}
        />
      </div>
      {ownerId && (
        <p>
          Only the executions of one {ownerKind || 'owner'}.{' '}
          <Link href={withQuery('/executions', { status, ownerKind })}>Show all</Link>
        </p>
      )}
      {page.error !== undefined && <ErrorNotice error={page.error} />}
      {!page.data && page.loading && <Loading />}
      {page.data?.items.length === 0 && (
        <p class="empty">
          No executions
          {status || policyId || ownerKind || ownerId ? ' match these filters' : ' yet'}.
        </p>
      )}
      {page.data && (
        <>
          <ExecutionTable executions={page.data.items} policies={policies.data} />
          <Pager
            label="Execution pages"
            total={page.data.total}
            limit={LIMIT}
            offset={page.data.offset}
            onPage={(o) => go({ offset: o })}
          />
        </>
      )}
    </Page>
  );
}
