import { api } from './client';
import { describeOwner } from './owner';
import type { Execution, Page, Policy, Registry } from './types';

/** Registry id → name, for tables that hold ids. */
export async function registryNames(signal?: AbortSignal): Promise<Map<string, string>> {
  const registries = await api<Registry[]>('/api/v1/registries', { signal });
  return new Map(registries.map((r) => [r.id, r.name]));
}

export async function policyNames(signal?: AbortSignal): Promise<Map<string, string>> {
  const policies = await api<Policy[]>('/api/v1/policies', { signal });
  return new Map(policies.map((p) => [p.id, p.name]));
}

/**
 * The latest execution of each policy: one page of recent executions covers the busy
 * ones; the rest are asked one by one (four at a time), never the whole history.
 */
export async function latestExecutions(
  policyIds: string[],
  signal?: AbortSignal,
): Promise<Map<string, Execution>> {
  const recent = await api<Page<Execution>>('/api/v1/executions?limit=100', { signal });
  const latest = new Map<string, Execution>();
  for (const e of recent.items) {
    const policyId = describeOwner(e)?.policyId;
    if (policyId && !latest.has(policyId)) latest.set(policyId, e);
  }
  const missing = policyIds.filter((id) => !latest.has(id));
  for (let i = 0; i < missing.length; i += 4) {
    const batch = await Promise.all(
      missing
        .slice(i, i + 4)
        .map((id) => api<Page<Execution>>(`/api/v1/executions?policyId=${id}&limit=1`, { signal })),
    );
    batch.forEach((page, j) => {
      if (page.items[0]) latest.set(missing[i + j]!, page.items[0]);
    });
  }
  return latest;
}
