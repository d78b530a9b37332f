import type { ExecutionDto, TaskDto } from '../../src/replication/dto/execution.dto.js';
import type { TestRegistry } from './registry.js';
import { waitFor } from './wait.js';

/** Anything with TestApp's `api()` (the in-process app, or a child process wrapper). */
export interface ApiCaller {
  api(
    path: string,
    init?: RequestInit & { token?: string | null; json?: unknown },
  ): Promise<Response>;
}

export async function json<T>(res: Response, expected = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== expected)
    throw new Error(`expected HTTP ${expected}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Registers a test registry over the API; returns its id. */
export async function addRegistry(
  t: ApiCaller,
  name: string,
  registry: Pick<TestRegistry, 'url'>,
  extra: object = {},
): Promise<string> {
  const res = await t.api('/api/v1/registries', {
    method: 'POST',
    json: { name, url: registry.url, ...extra },
  });
  return (await json<{ id: string }>(res, 201)).id;
}

export async function addPolicy(t: ApiCaller, body: object): Promise<string> {
  const res = await t.api('/api/v1/policies', { method: 'POST', json: body });
  return (await json<{ id: string }>(res, 201)).id;
}

export async function trigger(t: ApiCaller, policyId: string): Promise<string> {
  const res = await t.api(`/api/v1/policies/${policyId}/executions`, { method: 'POST' });
  return (await json<{ id: string }>(res, 202)).id;
}

export function execution(t: ApiCaller, id: string): Promise<ExecutionDto> {
  return t.api(`/api/v1/executions/${id}`).then((r) => json<ExecutionDto>(r));
}

/** Waits for an execution to end (bounded), and returns it. */
export function finished(t: ApiCaller, id: string, timeoutMs = 90_000): Promise<ExecutionDto> {
  return waitFor(
    `execution ${id} to finish`,
    async () => {
      const e = await execution(t, id);
      return e.status === 'pending' || e.status === 'running' ? undefined : e;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export async function tasks(
  t: ApiCaller,
  executionId: string,
  status?: string,
): Promise<TaskDto[]> {
  const all: TaskDto[] = [];
  for (let offset = 0; ; offset += 500) {
    const query = `limit=500&offset=${offset}${status ? `&status=${status}` : ''}`;
    const page = await json<{ items: TaskDto[]; total: number }>(
      await t.api(`/api/v1/executions/${executionId}/tasks?${query}`),
    );
    all.push(...page.items);
    if (all.length >= page.total || page.items.length === 0) return all;
  }
}

/** Runs a policy to the end and expects success (throws with the failed tasks' reasons). */
export async function runToSuccess(t: ApiCaller, policyId: string): Promise<ExecutionDto> {
  const done = await finished(t, await trigger(t, policyId));
  if (done.status !== 'succeeded') {
    const failed = await tasks(t, done.id, 'failed');
    throw new Error(
      `execution ${done.status}: ${done.message}; failed tasks: ${JSON.stringify(failed.map((f) => f.reason))}`,
    );
  }
  return done;
}
