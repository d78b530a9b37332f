import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.js';
import type { Output, PromotionView } from './output.js';

const OPEN = new Set(['waiting', 'queued', 'running']);

/**
 * Polls a promotion until it ends or `timeoutSeconds` pass; on a terminal, prints
 * each change of state and the gates' reasons as they change.
 */
export async function waitForPromotion(
  api: ApiClient,
  out: Output,
  id: string,
  options: { timeoutSeconds: number; intervalMs: number },
): Promise<PromotionView> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const live = process.stdout.isTTY && !out.json;
  let shown = '';
  for (;;) {
    const { body } = await api.call<PromotionView>('GET', `/promotions/${id}`);
    const now = `${body.status}: ${body.message}`;
    if (live && now !== shown) out.line(`  ${new Date().toISOString().slice(11, 19)} ${now}`);
    shown = now;
    if (!OPEN.has(body.status) || Date.now() >= deadline) return body;
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())));
  }
}
