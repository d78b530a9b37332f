import { fetch } from 'undici';
import { describeError } from '../../common/describe-error.js';
import { AddressDeniedError } from '../../oci/index.js';
import type { GateContext } from './gate-context.js';
import type { CheckGate, GateOutcome } from './gate-types.js';

/** One call waits at most this long (the gate's own timeout bounds them all). */
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/** What of an answer's body is kept as the reason or evidence. */
const BODY_LIMIT = 1000;

/**
 * An external check: POST {pipeline, stage, repository, digest, tag, promotionId,
 * dryRun} as JSON. 2xx passes; 4xx refuses with the body as the reason; anything
 * else (5xx, 3xx, no answer) is retried with backoff until `timeoutSeconds` after
 * the first call, then refuses.
 */
export async function evaluateCheck(gate: CheckGate, ctx: GateContext): Promise<GateOutcome> {
  const previous = ctx.previous?.evidence as { firstCallAt?: string; calls?: number } | undefined;
  const firstCallAt = previous?.firstCallAt ? new Date(previous.firstCallAt) : ctx.now;
  const calls = (previous?.calls ?? 0) + 1;
  const deadline = firstCallAt.getTime() + gate.timeoutSeconds * 1000;
  const answer = await call(
    gate,
    ctx,
    Math.max(1000, Math.min(ATTEMPT_TIMEOUT_MS, deadline - ctx.now.getTime())),
  );
  const evidence = { url: gate.url, firstCallAt: firstCallAt.toISOString(), calls, ...answer };
  if (answer.denied)
    return { status: 'refused', reason: `check ${gate.url}: ${answer.error}`, evidence };
  if (answer.status !== undefined && answer.status >= 200 && answer.status < 300)
    return {
      status: 'passed',
      reason: `check ${gate.url} answered ${answer.status}${answer.body ? `: ${answer.body}` : ''}`,
      evidence,
    };
  if (answer.status !== undefined && answer.status >= 400 && answer.status < 500)
    return {
      status: 'refused',
      reason: `check ${gate.url} refused (${answer.status}): ${answer.body || 'no reason given'}`,
      evidence,
    };
  const what =
    answer.status !== undefined ? `answered ${answer.status}` : `did not answer (${answer.error})`;
  if (ctx.dryRun || ctx.now.getTime() >= deadline)
    return {
      status: ctx.dryRun ? 'pending' : 'refused',
      reason: ctx.dryRun
        ? `check ${gate.url} ${what}; a promotion would retry for up to ${gate.timeoutSeconds} s`
        : `check ${gate.url} gave no 2xx or 4xx within ${gate.timeoutSeconds} s (${calls} calls); last it ${what}`,
      evidence,
    };
  const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(calls - 1, 5));
  return {
    status: 'pending',
    reason: `check ${gate.url} ${what}; retrying until ${new Date(deadline).toISOString()}`,
    evidence,
    recheckAt: new Date(Math.min(deadline, ctx.now.getTime() + backoff)),
  };
}

async function call(
  gate: CheckGate,
  ctx: GateContext,
  timeoutMs: number,
): Promise<{ status?: number; body?: string; error?: string; denied?: boolean }> {
  try {
    const res = await fetch(gate.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'regrelay-promotion-check' },
      body: JSON.stringify({
        pipeline: ctx.pipeline,
        stage: ctx.stage,
        repository: ctx.repository,
        digest: ctx.digest,
        tag: ctx.tag,
        promotionId: ctx.promotionId,
        dryRun: ctx.dryRun,
      }),
      redirect: 'manual',
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      ...(ctx.checkDispatcher ? { dispatcher: ctx.checkDispatcher } : {}),
    });
    const text = (await res.text()).trim();
    return { status: res.status, body: text.slice(0, BODY_LIMIT) };
  } catch (error) {
    // An address the policy refuses stays refused: no use retrying.
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof AddressDeniedError) return { error: describeError(cause), denied: true };
    return { error: describeError(cause ?? error) };
  }
}
