/**
 * The REST API's shapes as the console reads them (the server's DTOs, written for the
 * browser; /docs is the reference). Fields another version may lack are optional.
 */

export type Role = 'admin' | 'operator' | 'viewer';

export interface WhoAmI {
  id: string;
  name: string;
  role: Role;
}

export interface FieldError {
  field: string;
  reason: string;
}

export interface Capabilities {
  referrersApi: boolean;
  tagDelete: boolean;
  catalog: boolean;
}

export interface Registry {
  id: string;
  name: string;
  url: string;
  username: string | null;
  hasPassword: boolean;
  hasWebhookSecret: boolean;
  insecureTls: boolean;
  caCert: string | null;
  maxConcurrentRequests: number | null;
  bandwidthLimit: number | null;
  capabilities: Capabilities | null;
  capabilitiesCheckedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CreatedRegistry extends Registry {
  webhookSecret: string;
}

export interface PingResult {
  reachable: boolean;
  latencyMs: number | null;
  capabilities: Capabilities | null;
  error: string | null;
}

export interface Filters {
  repositories: string[];
  excludeRepositories: string[];
  tags: string[];
  excludeTags: string[];
}

export type TriggerType = 'manual' | 'cron' | 'event';

export interface Policy {
  id: string;
  name: string;
  sourceRegistryId: string;
  destinations: { registryId: string; namespace: string | null }[];
  filters: Filters;
  trigger: { type: TriggerType; cron?: string };
  reconcile: { cron: string | null; repair: boolean };
  override: boolean;
  deletion: boolean;
  enabled: boolean;
  maxConcurrency: number | null;
  bandwidthLimit: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface PreviewRepository {
  name: string;
  tags: number;
  sampleTags: string[];
  complete: boolean;
  error: string | null;
}

export interface PolicyPreview {
  repositories: PreviewRepository[];
  repositoryCount: number;
  tagCount: number;
  scanned: number;
  next: string | null;
  stoppedBy: 'limit' | 'scan' | 'time' | null;
}

export type ExecutionStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'stopped';
export type TaskStatus =
  'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'stopped' | 'held';

export const TASK_STATUSES: TaskStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'stopped',
  'held',
];
export const EXECUTION_STATUSES: ExecutionStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'stopped',
];

/** `inPlace`: of `skipped`, tags planning found already in place (counted, not listed). */
export type TaskCounts = Record<TaskStatus | 'total' | 'inPlace', number>;

/** Who an execution works for: a policy, a one-off copy, later topologies and promotions. */
export interface ExecutionOwner {
  kind: string;
  id: string;
  /** A part of the owner that runs on its own (a tree topology's edge); else null. */
  lane?: string | null;
  /** A policy's name; null for one-off copies. */
  name?: string | null;
}

/** Who executions can belong to (`ownerKind` filter of GET /executions). */
export const OWNER_KINDS = ['policy', 'copy', 'topology', 'promotion'] as const;

export interface Execution {
  id: string;
  /** Null (or absent) for executions that no policy owns, such as one-off copies. */
  policyId?: string | null;
  owner?: ExecutionOwner | null;
  trigger: string;
  status: ExecutionStatus;
  counts: TaskCounts;
  bytesTotal: number;
  bytesDone: number;
  planned: boolean;
  startedAt: string | null;
  endedAt: string | null;
  message: string | null;
  createdAt: string;
}

export interface Task {
  id: string;
  executionId: string;
  operation: 'copy' | 'delete';
  sourceRepository: string;
  destinationRegistryId: string;
  destinationRegistry: string | null;
  destinationRepository: string;
  tag: string | null;
  digest: string;
  mediaType: string | null;
  status: TaskStatus;
  reason: string | null;
  attempts: number;
  bytesTotal: number;
  bytesDone: number;
  startedAt: string | null;
  endedAt: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface DestinationDrift {
  registryId: string;
  registry: string | null;
  missing: number;
  different: number;
  extra: number;
  unreadable: number;
  inSync: boolean;
  samples: { missing: string[]; different: string[]; extra: string[]; unreadable: string[] };
}

export interface Drift {
  policyId: string;
  checkedAt: string | null;
  destinations: DestinationDrift[];
  repairExecutionId: string | null;
}

export function isActive(e: Pick<Execution, 'status'>): boolean {
  return e.status === 'pending' || e.status === 'running';
}

export interface TriggeredExecution {
  id: string;
  status: ExecutionStatus;
  coalesced: boolean;
}
