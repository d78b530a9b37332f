import { setTimeout as sleep } from 'node:timers/promises';
import type { DragonflyManagerSettings } from '../registries/registry.entity.js';
import { DragonflyError, type DragonflyClient } from './dragonfly-client.js';
import { summariseResult, type CreatePreheatJobRequest, type Job } from './dragonfly-api.js';
import type { PreheatEntity } from './preheat.entity.js';
import type { PreheatStore, PreheatUpdate } from './preheat-store.js';

/** Attempts at creating the job before a preheat fails (429s, 5xx, connection errors). */
export const MAX_SUBMIT_ATTEMPTS = 5;
/** Consecutive failed polls of a job the manager has, before giving up on it. */
const MAX_POLL_ERRORS = 10;

export interface PreheatContext {
  store: PreheatStore;
  owner: string;
  leaseMs: number;
  pollIntervalMs: number;
  /** First wait before creating a job again after a 429, 5xx or connection error. */
  retryBackoffMs: number;
  /** When the preheat counts as failed if the manager has not said SUCCESS or FAILURE. */
  deadline: Date;
  signal: AbortSignal;
  client: DragonflyClient;
  settings: DragonflyManagerSettings;
  credentials?: { username: string; password: string };
}

/** How a run of one preheat ended: for good, or handed back for later (or to another replica). */
export type PreheatOutcome =
  { ended: true; status: 'succeeded' | 'failed'; error: string | null } | { ended: false };

/**
 * Drives one preheat: creates the manager's job unless it has one already (a replica
 * taking over only polls), then polls `GET /oapi/v1/jobs/{id}` until SUCCESS or
 * FAILURE or the deadline, renewing the lease each time. Never throws: every failure
 * ends as a failed preheat with its reason, or as a retry for later.
 */
export async function drivePreheat(
  row: PreheatEntity,
  ctx: PreheatContext,
): Promise<PreheatOutcome> {
  const update = (fields: PreheatUpdate) => ctx.store.update(row.id, ctx.owner, fields);
  const end = async (status: 'succeeded' | 'failed', fields: PreheatUpdate) => {
    const held = await update({ ...fields, status, endedAt: new Date(), leaseExpiresAt: null });
    return held
      ? ({ ended: true, status, error: fields.error ?? null } as const)
      : ({ ended: false } as const);
  };
  try {
    let jobId = row.jobId;
    if (jobId === null) {
      const attempts = row.attempts + 1;
      try {
        const job = await ctx.client.createJob(requestFor(row, ctx), ctx.signal);
        jobId = job.id;
        if (
          !(await update({ status: 'running', jobId, jobState: job.state, attempts, error: null }))
        )
          return { ended: false };
        if (job.state === 'SUCCESS' || job.state === 'FAILURE') return finish(job, end);
      } catch (error) {
        if (ctx.signal.aborted) return { ended: false };
        const message = (error as Error).message;
        if (error instanceof DragonflyError && error.retryable && attempts < MAX_SUBMIT_ATTEMPTS) {
          // Another sweep takes it up once this lease, set to the backoff, expires.
          const backoffMs = Math.min(300_000, ctx.retryBackoffMs * 2 ** (attempts - 1));
          await update({
            status: 'pending',
            attempts,
            error: message,
            leaseExpiresAt: new Date(Date.now() + backoffMs),
          });
          return { ended: false };
        }
        return end('failed', { attempts, error: `creating the preheat job failed: ${message}` });
      }
    }
    let pollErrors = 0;
    let lastState = 'unknown';
    while (Date.now() < ctx.deadline.getTime()) {
      await sleep(ctx.pollIntervalMs, undefined, { signal: ctx.signal });
      if (!(await ctx.store.renew(row.id, ctx.owner, ctx.leaseMs))) return { ended: false };
      let job: Job;
      try {
        job = await ctx.client.getJob(jobId, ctx.signal);
        pollErrors = 0;
      } catch (error) {
        if (ctx.signal.aborted) return { ended: false };
        if (
          ++pollErrors >= MAX_POLL_ERRORS ||
          (error instanceof DragonflyError && error.status === 404)
        ) {
          return end('failed', {
            error: `asking for job ${jobId} failed: ${(error as Error).message}`,
          });
        }
        await update({ error: (error as Error).message });
        continue;
      }
      lastState = job.state;
      if (job.state === 'SUCCESS' || job.state === 'FAILURE') return finish(job, end);
      await update({ jobState: job.state });
    }
    return end('failed', {
      error: `job ${jobId} did not finish before the deadline (${ctx.deadline.toISOString()}; last state ${lastState})`,
    });
  } catch (error) {
    // Aborted (shutdown) or the database went away: the lease runs out, another run resumes.
    if (!ctx.signal.aborted)
      await update({ error: (error as Error).message }).catch(() => undefined);
    return { ended: false };
  }
}

function finish(
  job: Job,
  end: (status: 'succeeded' | 'failed', fields: PreheatUpdate) => Promise<PreheatOutcome>,
): Promise<PreheatOutcome> {
  const summary = summariseResult(job);
  const fields = {
    jobState: job.state,
    peersSucceeded: summary.succeeded,
    peersFailed: summary.failed,
  };
  if (job.state === 'SUCCESS') return end('succeeded', { ...fields, error: null });
  return end('failed', {
    ...fields,
    error: `the manager reported FAILURE for job ${job.id}${summary.error ? `: ${summary.error}` : ''}`,
  });
}

/** The job for one image, in the manager's field names (dragonfly-api.ts). */
export function requestFor(
  row: Pick<PreheatEntity, 'executionId' | 'manifestUrl' | 'platform'>,
  ctx: Pick<PreheatContext, 'settings' | 'credentials'>,
): CreatePreheatJobRequest {
  return {
    type: 'preheat',
    bio: `regrelay execution ${row.executionId}`,
    args: {
      type: 'image',
      url: row.manifestUrl,
      ...(row.platform ? { platform: row.platform } : {}),
      scope: ctx.settings.scope,
      ...(ctx.credentials ? ctx.credentials : {}),
    },
    ...(ctx.settings.schedulerClusterIds.length
      ? { scheduler_cluster_ids: ctx.settings.schedulerClusterIds }
      : {}),
  };
}
