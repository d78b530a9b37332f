/**
 * The parts of the Dragonfly manager's open API regrelay uses, as Dragonfly v2.5.1
 * defines them (manager/router/router.go `/oapi/v1/jobs`, manager/handlers/job.go,
 * manager/types/job.go CreatePreheatJobRequest and PreheatArgs, manager/models/job.go
 * Job, internal/job GroupJobState and PreheatResponse). Authentication is a personal
 * access token with the `job` scope: `Authorization: Bearer <token>`.
 */

/** `POST /oapi/v1/jobs` body for an image preheat. Optional fields are left out when unset. */
export interface CreatePreheatJobRequest {
  type: 'preheat';
  bio?: string;
  args: PreheatArgs;
  scheduler_cluster_ids?: number[];
}

export interface PreheatArgs {
  type: 'image' | 'file';
  /** `<scheme>://<registry>/v2/<repository>/manifests/<reference>` for type image. */
  url: string;
  /** `os/arch[/variant]`; unset: the manager's default platform. */
  platform?: string;
  scope?: 'single_seed_peer' | 'all_seed_peers' | 'all_peers';
  username?: string;
  password?: string;
  /** Nanoseconds (Go time.Duration); the manager's default is 60 minutes. */
  timeout?: number;
}

/** Machinery task states, as the manager reports a job's `state`. */
export const JOB_STATES = [
  'PENDING',
  'RECEIVED',
  'STARTED',
  'RETRY',
  'SUCCESS',
  'FAILURE',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** models.Job as `POST /oapi/v1/jobs` and `GET /oapi/v1/jobs/{id}` return it (fields we read). */
export interface Job {
  id: number;
  task_id: string;
  type: string;
  state: JobState | string;
  args: Record<string, unknown>;
  /** GroupJobState once the manager has polled its workers; `{}` before. */
  result: Partial<GroupJobState> | null;
}

export interface GroupJobState {
  group_uuid: string;
  state: string;
  created_at: string;
  updated_at: string;
  job_states: {
    task_uuid: string;
    task_name: string;
    state: string;
    results: PreheatResponse[] | null;
    error: string;
    created_at: string;
    ttl: number;
  }[];
}

export interface PreheatResponse {
  success_tasks: { url: string; hostname: string; ip: string }[] | null;
  failure_tasks: { url: string; hostname: string; ip: string; description: string }[] | null;
  scheduler_cluster_id: number;
}

/** The manager's error bodies: middlewares.ErrorResponse, or gin.H{"errors": …} from binding. */
export interface ErrorBody {
  message?: string;
  error?: string;
  errors?: string;
}

/** Peers that finished or failed, and the first error a worker reported, from a job's result. */
export function summariseResult(job: Job): { succeeded: number; failed: number; error?: string } {
  let succeeded = 0;
  let failed = 0;
  let error: string | undefined;
  for (const state of job.result?.job_states ?? []) {
    if (state.error && !error) error = state.error;
    for (const result of state.results ?? []) {
      succeeded += result.success_tasks?.length ?? 0;
      failed += result.failure_tasks?.length ?? 0;
      const description = result.failure_tasks?.find((t) => t.description)?.description;
      if (description && !error) error = description;
    }
  }
  return { succeeded, failed, error };
}
