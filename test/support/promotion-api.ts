import type { PipelineDto } from '../../src/promotions/dto/pipeline.dto.js';
import type { PromotionDto } from '../../src/promotions/dto/promotion.dto.js';
import { json, type ApiCaller } from './replication-api.js';
import { waitFor } from './wait.js';

export async function createPipeline(t: ApiCaller, body: object): Promise<PipelineDto> {
  return json<PipelineDto>(await t.api('/api/v1/pipelines', { method: 'POST', json: body }), 201);
}

/** POSTs a promotion; returns the response (status and body) for the test to check. */
export async function promote(
  t: ApiCaller,
  pipelineId: string,
  body: object,
  token?: string,
): Promise<{ status: number; body: PromotionDto & { message: string } }> {
  const res = await t.api(`/api/v1/pipelines/${pipelineId}/promotions`, {
    method: 'POST',
    json: body,
    ...(token ? { token } : {}),
  });
  return { status: res.status, body: (await res.json()) as PromotionDto & { message: string } };
}

export function promotion(t: ApiCaller, id: string): Promise<PromotionDto> {
  return t.api(`/api/v1/promotions/${id}`).then((r) => json<PromotionDto>(r));
}

/** Waits (bounded) until the promotion is in one of `statuses`. */
export function promotionIn(
  t: ApiCaller,
  id: string,
  statuses: string[],
  timeoutMs = 60_000,
): Promise<PromotionDto> {
  return waitFor(
    `promotion ${id} to be ${statuses.join(' or ')}`,
    async () => {
      const p = await promotion(t, id);
      return statuses.includes(p.status) ? p : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** An API token of a role, created by the admin; returns the token. */
export async function createToken(t: ApiCaller, name: string, role: string): Promise<string> {
  const res = await t.api('/api/v1/tokens', { method: 'POST', json: { name, role } });
  return (await json<{ token: string }>(res, 201)).token;
}
