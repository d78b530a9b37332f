import type { ExecutionEntity } from '../executions/execution.entity.js';
import type { ExecutionOwner } from '../owners/execution-owner.js';
import type { ReplicationSpec } from './replication-spec.js';
import type { PlannedTask } from './task-batch.js';

/**
 * One planning of one execution, as an owner that plans for itself sees it (a
 * dual-master pair compares both sides; a tree's anti-entropy pass plans copies from
 * each parent): tasks go into `add` and are written in batches; `flush` writes them
 * now and wakes the workers. `planSpec` plans a source → destinations spec the way
 * policies are planned, into the same execution.
 */
export interface PlanRun {
  execution: ExecutionEntity;
  owner: ExecutionOwner;
  /** Aborted when the execution is stopped or the process shuts down. */
  signal: AbortSignal;
  add(task: PlannedTask): Promise<void>;
  flush(): Promise<void>;
  planSpec(spec: ReplicationSpec): Promise<void>;
  /** Says on the execution what planning found worth saying. */
  setMessage(message: string): Promise<void>;
}
